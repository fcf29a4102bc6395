// asyncctx::set_error_handler: where the library reports what it cannot throw to a caller.
//
// One channel for every such error, told apart by error_report::kind:
//   * misuse: the API was misused where no exception can be thrown (a scope restored out of
//     LIFO order or on another thread, the internal state protocol broken by an integration);
//   * hook_callback: an async hook callback threw (the event and the other hooks go on);
//   * unhandled_rejection: a rejected future was dropped unobserved (reported in the context
//     that was current when it was rejected, on the thread that dropped it);
//   * spawned_task: a task started with spawn() ended with an exception (reported in the
//     context current where spawn was called);
//   * pool_task: a function posted to a thread_pool threw (reported in its own context);
//   * log_field_provider: an asyncctx::log field provider or the mixin threw (reported in the
//     context of the record being made, which is still written);
//   * log_write: an asyncctx::log record could not be formatted or written (a sink threw);
//   * scope_disposal: a service's disposer or destructor threw while its async_scope was
//     disposed (reported in the context the scope was opened in, the scope current).
//   * cancel_callback: an after_cancel callback threw (reported in the callback's context, on
//     the thread that cancelled; the other callbacks still run);
//   * trace_export: spans were lost or rejected on their way to a tracing back end (a full
//     batch queue, an export that failed after its retries, a partial_success answer);
//   * configuration: a configuration value (an OTEL_* environment variable) was invalid; its
//     default is used instead.
// The default handler prints one line to stderr ("asyncctx: <kind>: <message>: <what>") and,
// for misuse only, aborts in builds of the library without NDEBUG (a debug assertion).
//
// Thread-safety: set_error_handler and error_handler may be called from any thread at any
// time; a report made concurrently with a change uses either the old or the new handler, and
// a handler may run on several threads at once. A handler must not throw (if it does, the
// exception is swallowed after a line on stderr).
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/error_channel.hpp>

#include <functional>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

using error_handler = std::function<void(const error_report&)>;

// Installs `handler` for the whole process and returns the previous one (empty = the
// default). An empty handler restores the default.
ASYNCCTX_API error_handler set_error_handler(error_handler handler);

// The handler in force (empty = the default).
ASYNCCTX_API error_handler current_error_handler();

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
