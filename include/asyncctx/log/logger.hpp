// asyncctx::log::info(...) and friends: spdlog calls whose records carry the context's
// fields.
//
//   log::info("user {} logged in", name);                        // spdlog's default logger
//   log::warn({{"attempt", 3}}, "retrying {}", url);              // plus per-call fields
//   log::logger http(spdlog::get("http"));  http.error("failed: {}", what);
//
// The format string is checked at compile time (fmt::format_string). A disabled level costs
// the level check only: no provider is called, the context is not read, nothing is
// allocated. An enabled record is formatted and its fields captured on the calling thread,
// into one buffer on the stack (heap only for records longer than its inline capacity), then
// handed to the spdlog logger, whose sinks need an asyncctx formatter (spdlog_formatter.hpp).
// Logging never throws: a format or sink error goes to the library's error channel
// (error_kind::log_write).
// Thread-safety: as the spdlog logger used.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/field.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/level.hpp>
#include <asyncctx/log/record.hpp>

#include <cstddef>
#include <initializer_list>
#include <memory>
#include <utility>

#include <fmt/format.h>
#include <spdlog/logger.h>
#include <spdlog/spdlog.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

namespace detail {

// Captures the fields into `buf` after the message and passes the record to `lg`.
ASYNCCTX_API void submit(spdlog::logger& lg, level lvl, record_buffer& buf, const field* extra,
                         std::size_t extra_count) noexcept;
// Reports a failure to format the message (error_kind::log_write).
ASYNCCTX_API void report_format_failure() noexcept;

template <class... Args>
ASYNCCTX_NOINLINE void emit_enabled(spdlog::logger& lg, level lvl, const field* extra, std::size_t extra_count,
                                    fmt::format_string<Args...> format, Args&&... args) noexcept {
  record_buffer buf;
  try {
    fmt::vformat_to(fmt::appender(buf), fmt::string_view(format), fmt::make_format_args(args...));
  } catch (...) {
    report_format_failure();
    return;
  }
  submit(lg, lvl, buf, extra, extra_count);
}

template <class... Args>
ASYNCCTX_ALWAYS_INLINE void emit(spdlog::logger& lg, level lvl, const field* extra, std::size_t extra_count,
                                 fmt::format_string<Args...> format, Args&&... args) noexcept {
  if (!lg.should_log(static_cast<spdlog::level::level_enum>(lvl))) [[likely]]
    return;
  emit_enabled<Args...>(lg, lvl, extra, extra_count, format, std::forward<Args>(args)...);
}

}  // namespace detail

// A handle to an spdlog logger whose calls carry the context's fields. Copyable; holds the
// logger alive.
class logger {
 public:
  explicit logger(std::shared_ptr<spdlog::logger> lg) noexcept : lg_(std::move(lg)) {}

  spdlog::logger& spdlog_logger() const noexcept { return *lg_; }
  bool should_log(level lvl) const noexcept { return lg_->should_log(static_cast<spdlog::level::level_enum>(lvl)); }

  template <class... Args>
  void log(level lvl, fmt::format_string<Args...> format, Args&&... args) const noexcept {
    detail::emit<Args...>(*lg_, lvl, nullptr, 0, format, std::forward<Args>(args)...);
  }
  template <class... Args>
  void log(level lvl, std::initializer_list<field> extra, fmt::format_string<Args...> format,
           Args&&... args) const noexcept {
    detail::emit<Args...>(*lg_, lvl, extra.begin(), extra.size(), format, std::forward<Args>(args)...);
  }

#define ASYNCCTX_LOG_LEVEL_METHODS(name)                                                                             \
  template <class... Args>                                                                                           \
  void name(fmt::format_string<Args...> format, Args&&... args) const noexcept {                                     \
    detail::emit<Args...>(*lg_, level::name, nullptr, 0, format, std::forward<Args>(args)...);                       \
  }                                                                                                                  \
  template <class... Args>                                                                                           \
  void name(std::initializer_list<field> extra, fmt::format_string<Args...> format, Args&&... args) const noexcept { \
    detail::emit<Args...>(*lg_, level::name, extra.begin(), extra.size(), format, std::forward<Args>(args)...);      \
  }
  ASYNCCTX_LOG_LEVEL_METHODS(trace)
  ASYNCCTX_LOG_LEVEL_METHODS(debug)
  ASYNCCTX_LOG_LEVEL_METHODS(info)
  ASYNCCTX_LOG_LEVEL_METHODS(warn)
  ASYNCCTX_LOG_LEVEL_METHODS(error)
  ASYNCCTX_LOG_LEVEL_METHODS(critical)
#undef ASYNCCTX_LOG_LEVEL_METHODS

 private:
  std::shared_ptr<spdlog::logger> lg_;
};

// The same calls on spdlog's default logger (spdlog::default_logger_raw(), read at each call).
template <class... Args>
void log_at(level lvl, fmt::format_string<Args...> format, Args&&... args) noexcept {
  detail::emit<Args...>(*spdlog::default_logger_raw(), lvl, nullptr, 0, format, std::forward<Args>(args)...);
}
template <class... Args>
void log_at(level lvl, std::initializer_list<field> extra, fmt::format_string<Args...> format,
            Args&&... args) noexcept {
  detail::emit<Args...>(*spdlog::default_logger_raw(), lvl, extra.begin(), extra.size(), format,
                        std::forward<Args>(args)...);
}

#define ASYNCCTX_LOG_LEVEL_FUNCTIONS(name)                                                                     \
  template <class... Args>                                                                                     \
  void name(fmt::format_string<Args...> format, Args&&... args) noexcept {                                     \
    detail::emit<Args...>(*spdlog::default_logger_raw(), level::name, nullptr, 0, format,                      \
                          std::forward<Args>(args)...);                                                        \
  }                                                                                                            \
  template <class... Args>                                                                                     \
  void name(std::initializer_list<field> extra, fmt::format_string<Args...> format, Args&&... args) noexcept { \
    detail::emit<Args...>(*spdlog::default_logger_raw(), level::name, extra.begin(), extra.size(), format,     \
                          std::forward<Args>(args)...);                                                        \
  }
ASYNCCTX_LOG_LEVEL_FUNCTIONS(trace)
ASYNCCTX_LOG_LEVEL_FUNCTIONS(debug)
ASYNCCTX_LOG_LEVEL_FUNCTIONS(info)
ASYNCCTX_LOG_LEVEL_FUNCTIONS(warn)
ASYNCCTX_LOG_LEVEL_FUNCTIONS(error)
ASYNCCTX_LOG_LEVEL_FUNCTIONS(critical)
#undef ASYNCCTX_LOG_LEVEL_FUNCTIONS

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
