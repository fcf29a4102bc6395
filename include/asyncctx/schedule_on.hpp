// asyncctx::schedule_on(executor): an awaitable that moves the awaiting coroutine onto an
// executor — anything with execute(f) or post(f), such as
// asyncctx::thread_pool::executor_type or context_executor<Ex>.
//
//   co_await asyncctx::schedule_on(pool.get_executor());   // now on a pool thread
//
// In an asyncctx::task the task keeps its own context across the hop (the task installs
// it around every resume); the executor's thread keeps its own context before and after.
// If the executor's execute/post throws, the exception comes out of the co_await and the
// task carries on where it was. An executor that drops the function without calling it
// (shutdown) leaves the task suspended forever.
// Thread-safety: the awaitable is used once, by the awaiting coroutine.
#pragma once

#include <asyncctx/detail/execute.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class Executor>
class schedule_on_awaitable {
  static_assert(detail::executor<Executor>, "schedule_on needs an executor with execute(f) or post(f)");

 public:
  explicit schedule_on_awaitable(Executor ex) noexcept(std::is_nothrow_move_constructible_v<Executor>)
      : ex_(std::move(ex)) {}

  bool await_ready() const noexcept { return false; }
  // The executor is moved out to the stack first: once it has the function, the coroutine
  // may run (and this awaitable, which lives in its frame, be gone) before execute/post
  // returns, and an executor may still read its own members after enqueueing.
  void await_suspend(std::coroutine_handle<> self) {
    Executor ex(std::move(ex_));
    detail::execute_on(ex, detail::resume_handle{self});
  }
  void await_resume() const noexcept {}

 private:
  Executor ex_;
};

// An awaitable that resumes the awaiting coroutine through `ex`.
template <class Executor>
schedule_on_awaitable<std::decay_t<Executor>> schedule_on(Executor&& ex) {
  return schedule_on_awaitable<std::decay_t<Executor>>(std::forward<Executor>(ex));
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
