#include <asyncctx/error_handler.hpp>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace {

struct channel {
  std::mutex mutex;
  std::shared_ptr<const error_handler> handler;  // null = the default
};

channel& the_channel() {
  static channel c;  // NOLINT: process-wide by design
  return c;
}

void print_report(const error_report& report) noexcept {
  const std::string_view kind = to_string(report.kind);
  std::string what;
  if (report.exception) {
    try {
      std::rethrow_exception(report.exception);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
      what = "(not a std::exception)";
    }
  }
  if (what.empty()) {
    std::fprintf(stderr, "asyncctx: %.*s: %.*s\n", static_cast<int>(kind.size()), kind.data(),
                 static_cast<int>(report.message.size()), report.message.data());
  } else {
    std::fprintf(stderr, "asyncctx: %.*s: %.*s: %s\n", static_cast<int>(kind.size()), kind.data(),
                 static_cast<int>(report.message.size()), report.message.data(), what.c_str());
  }
}

void default_handler(const error_report& report) noexcept {
  print_report(report);
#if !defined(NDEBUG)
  if (report.kind == error_kind::misuse) {
    std::fputs("asyncctx: aborting (debug build; see asyncctx::set_error_handler)\n", stderr);
    std::abort();
  }
#endif
}

}  // namespace

std::string_view to_string(error_kind kind) noexcept {
  switch (kind) {
    case error_kind::misuse:
      return "misuse";
    case error_kind::hook_callback:
      return "hook_callback";
    case error_kind::unhandled_rejection:
      return "unhandled_rejection";
    case error_kind::spawned_task:
      return "spawned_task";
    case error_kind::pool_task:
      return "pool_task";
    case error_kind::log_field_provider:
      return "log_field_provider";
    case error_kind::log_write:
      return "log_write";
    case error_kind::scope_disposal:
      return "scope_disposal";
    case error_kind::cancel_callback:
      return "cancel_callback";
    case error_kind::trace_export:
      return "trace_export";
    case error_kind::configuration:
      return "configuration";
  }
  return "unknown";
}

error_handler set_error_handler(error_handler handler) {
  auto next = handler ? std::make_shared<const error_handler>(std::move(handler)) : nullptr;
  channel& c = the_channel();
  std::shared_ptr<const error_handler> previous;
  {
    std::lock_guard lock(c.mutex);
    previous = std::exchange(c.handler, std::move(next));
  }
  return previous ? *previous : error_handler{};
}

error_handler current_error_handler() {
  channel& c = the_channel();
  std::lock_guard lock(c.mutex);
  return c.handler ? *c.handler : error_handler{};
}

namespace detail {

void report_error(error_kind kind, std::string_view message, std::exception_ptr exception) noexcept {
  const error_report report{kind, message, std::move(exception)};
  std::shared_ptr<const error_handler> handler;
  try {
    channel& c = the_channel();
    std::lock_guard lock(c.mutex);
    handler = c.handler;
  } catch (...) {
    // A mutex that cannot be locked: the default report still goes out.
  }
  if (!handler) {
    default_handler(report);
    return;
  }
  try {
    (*handler)(report);
  } catch (...) {
    std::fprintf(stderr, "asyncctx: the error handler threw while reporting %.*s; ignored\n",
                 static_cast<int>(to_string(kind).size()), to_string(kind).data());
  }
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
