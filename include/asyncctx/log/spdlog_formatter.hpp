// spdlog formatters that write the fields captured with each record (record.hpp).
//
//   log::formatter(line_format::json)  JSON lines;  log::formatter(line_format::text)  logfmt
//   log::pattern_formatter("%Y-%m-%d %T [%l] %v %*")   any spdlog pattern; %* is the fields as
//                                                       logfmt, %v the message alone
//   log::configure(logger, line_format::json)           sets one on every sink of a logger and
//                                                       routes its errors to the error channel
//
// They work with any sink, sync or async: they read only the record (its payload), never the
// context, so it does not matter on which thread spdlog runs them. A record that was not made
// by asyncctx::log (a plain spdlog::info call on the same logger) is written with no fields.
// Thread-safety: as every spdlog formatter, one instance is used by one sink under its lock;
// clone() gives another sink its own.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/line_format.hpp>
#include <asyncctx/log/record.hpp>

#include <memory>
#include <string>

#include <spdlog/formatter.h>
#include <spdlog/logger.h>
#include <spdlog/pattern_formatter.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

class ASYNCCTX_API formatter final : public spdlog::formatter {
 public:
  explicit formatter(line_format format) noexcept : format_(format) {}
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

 private:
  line_format format_;
  record_view record_;  // reused: no allocation per record once warmed up
};

// An spdlog pattern_formatter whose `%v` is the message alone and whose `%*` flag writes the
// fields as logfmt (`key=value ...`). Every other flag is spdlog's.
class ASYNCCTX_API pattern_formatter final : public spdlog::formatter {
 public:
  explicit pattern_formatter(std::string pattern,
                             spdlog::pattern_time_type time_type = spdlog::pattern_time_type::local,
                             std::string eol = spdlog::details::os::default_eol);
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override;
  std::unique_ptr<spdlog::formatter> clone() const override;

  struct state;  // the record being formatted, shared with the %* flag

 private:
  std::string pattern_;
  spdlog::pattern_time_type time_type_;
  std::string eol_;
  std::shared_ptr<state> state_;
  std::unique_ptr<spdlog::pattern_formatter> inner_;
};

// Sets log::formatter(format) on every sink of `logger` and makes it report its errors (a
// sink or formatter that throws) on the library's error channel.
ASYNCCTX_API void configure(spdlog::logger& logger, line_format format);

// Makes `logger` report its errors on the library's error channel (error_kind::log_write)
// instead of spdlog's default stderr line.
ASYNCCTX_API void report_errors_to_channel(spdlog::logger& logger);

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
