// The library's one error channel: how it reports what it cannot throw to a caller. The
// handler is set and read through error_handler.hpp; everything in the library that reports
// goes through report_error below.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <exception>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// What went wrong; each kind is reported by exactly one situation.
enum class error_kind {
  misuse,               // the API was misused in a way that cannot throw (a scope restored out of order)
  hook_callback,        // an async hook callback threw
  unhandled_rejection,  // a rejected future was dropped without anyone observing the rejection
  spawned_task,         // a task started with spawn() ended with an exception nobody awaits
  pool_task,            // a function posted to a thread_pool threw
  log_field_provider,   // an asyncctx::log field provider or mixin threw (the record is written without its fields)
  log_write,            // an asyncctx::log record could not be formatted or written (a sink threw)
  scope_disposal,       // a service's disposer or destructor threw while its async_scope was disposed
  cancel_callback,      // an after_cancel callback threw (the other callbacks still run)
  trace_export,         // spans were lost or rejected: a full batch queue, a failed or timed-out export,
                        // a partial_success answer, a throwing processor
  configuration,        // a configuration value (an OTEL_* variable) was invalid and its default used
};

// The kind's name as it appears in the default report ("misuse", "hook_callback", ...).
ASYNCCTX_API std::string_view to_string(error_kind kind) noexcept;

// One report. `message` says what happened in one line; `exception` is the exception, when
// the error is one (null for misuse). Both are valid only during the handler's call.
struct error_report {
  error_kind kind;
  std::string_view message;
  std::exception_ptr exception;
};

namespace detail {
// Delivers a report to the handler (error_handler.hpp). Never throws: a handler that throws
// is reported on stderr. Runs on the calling thread, in its current context.
ASYNCCTX_API void report_error(error_kind kind, std::string_view message, std::exception_ptr exception) noexcept;

inline void report_misuse(std::string_view message) noexcept { report_error(error_kind::misuse, message, nullptr); }
}  // namespace detail

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
