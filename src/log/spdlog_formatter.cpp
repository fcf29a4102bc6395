// The spdlog side of asyncctx::log: formatters that split the payload (record.hpp) and the
// record submission of logger.hpp.
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>

#include <exception>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {
namespace {

std::string_view to_std(spdlog::string_view_t s) noexcept { return {s.data(), s.size()}; }

level to_level(spdlog::level::level_enum l) noexcept {
  return l >= spdlog::level::trace && l <= spdlog::level::off ? static_cast<level>(l) : level::off;
}

}  // namespace

// --- log::formatter ------------------------------------------------------------------------

void formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  record_.decode_payload(to_std(msg.payload));
  write_line(format_, dest, msg.time, to_level(msg.level), to_std(msg.logger_name), record_.message(), record_);
}

std::unique_ptr<spdlog::formatter> formatter::clone() const { return std::make_unique<formatter>(format_); }

// --- log::pattern_formatter ----------------------------------------------------------------

struct pattern_formatter::state {
  record_view record;
};

namespace {

// %*: the fields of the record being formatted, as logfmt. Shares the state of the
// pattern_formatter that owns it (spdlog clones a custom flag when it compiles the pattern).
class fields_flag final : public spdlog::custom_flag_formatter {
 public:
  explicit fields_flag(std::shared_ptr<pattern_formatter::state> st) noexcept : state_(std::move(st)) {}
  void format(const spdlog::details::log_msg&, const std::tm&, spdlog::memory_buf_t& dest) override {
    write_text_fields(dest, state_->record);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<fields_flag>(state_); }

 private:
  std::shared_ptr<pattern_formatter::state> state_;
};

}  // namespace

pattern_formatter::pattern_formatter(std::string pattern, spdlog::pattern_time_type time_type, std::string eol)
    : pattern_(std::move(pattern)), time_type_(time_type), eol_(std::move(eol)), state_(std::make_shared<state>()) {
  inner_ = std::make_unique<spdlog::pattern_formatter>(time_type_, eol_);
  inner_->add_flag<fields_flag>('*', state_).set_pattern(pattern_);
}

void pattern_formatter::format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) {
  state_->record.decode_payload(to_std(msg.payload));
  spdlog::details::log_msg message_only = msg;
  const std::string_view m = state_->record.message();
  message_only.payload = spdlog::string_view_t(m.data(), m.size());
  inner_->format(message_only, dest);
}

std::unique_ptr<spdlog::formatter> pattern_formatter::clone() const {
  return std::make_unique<pattern_formatter>(pattern_, time_type_, eol_);
}

// --- configuration -------------------------------------------------------------------------

void report_errors_to_channel(spdlog::logger& logger) {
  logger.set_error_handler([](const std::string& message) {
    asyncctx::detail::report_error(error_kind::log_write, "spdlog could not write a record",
                                   std::make_exception_ptr(std::runtime_error(message)));
  });
}

void configure(spdlog::logger& logger, line_format format) {
  logger.set_formatter(std::make_unique<formatter>(format));
  report_errors_to_channel(logger);
}

// --- record submission (logger.hpp) --------------------------------------------------------

namespace detail {

void submit(spdlog::logger& lg, level lvl, record_buffer& buf, const field* extra, std::size_t extra_count) noexcept {
  try {
    capture_fields(buf, buf.size(), lvl, extra, extra_count);
    lg.log(spdlog::source_loc{}, static_cast<spdlog::level::level_enum>(lvl),
           spdlog::string_view_t(buf.data(), buf.size()));
  } catch (...) {
    asyncctx::detail::report_error(error_kind::log_write, "a log record could not be written",
                                   std::current_exception());
  }
}

void report_format_failure() noexcept {
  asyncctx::detail::report_error(error_kind::log_write, "a log message could not be formatted",
                                 std::current_exception());
}

}  // namespace detail
}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
