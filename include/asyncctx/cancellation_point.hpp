// asyncctx::cancellation_point(): `co_await asyncctx::cancellation_point();` in a task throws
// asyncctx::cancelled_error (carrying the cause) when the task's context is cancelled, and
// otherwise goes on at once, without suspending. The place where a long computation in a
// coroutine agrees to stop (cancellation.hpp).
//
// It reads the context the awaiting task runs in (its own, as for every co_await), so it
// sees the deadline and cancellation of where the task was created, and of its sync_wait or
// when_all caller (they pass theirs on).
// Thread-safety: stateless.
#pragma once

#include <asyncctx/cancellation.hpp>

#include <coroutine>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {
struct cancellation_point_awaiter {
  bool await_ready() const noexcept { return true; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const { throw_if_cancelled(); }
};
}  // namespace detail

[[nodiscard]] inline detail::cancellation_point_awaiter cancellation_point() noexcept { return {}; }

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
