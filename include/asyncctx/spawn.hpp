// asyncctx::spawn: starts a task detached ("fire and forget"), on an executor or right
// here. Nobody awaits it, so an exception that leaves it is reported — never lost — to the
// library's error channel (error_handler.hpp, kind spawned_task; by default a line on
// stderr), in the context current when spawn was called.
//
//   asyncctx::spawn(pool.get_executor(), handle_request(std::move(req)));
//
// The task runs in its own context (the one current when its coroutine function was
// called), as always. Its frame is freed when it ends. If the executor drops the function
// without running it (shutdown), the task is destroyed unstarted.
// Thread-safety: spawn may be called from any thread.
#pragma once

#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/execute.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/task.hpp>

#include <coroutine>
#include <cstdio>
#include <exception>
#include <functional>
#include <mutex>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {

inline void report_unhandled_exception(std::exception_ptr error) noexcept {
  report_error(error_kind::spawned_task, "a spawned task ended with an exception", std::move(error));
}

// A coroutine that frees itself when it ends.
struct detached_coroutine {
  struct promise_type {
    detached_coroutine get_return_object() noexcept {
      return {std::coroutine_handle<promise_type>::from_promise(*this)};
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    std::suspend_never final_suspend() const noexcept { return {}; }
    void return_void() const noexcept {}
    void unhandled_exception() const noexcept { std::terminate(); }  // the body catches all
  };
  std::coroutine_handle<promise_type> coro;
};

template <class T>
detached_coroutine run_detached(task<T> t, asyncctx::snapshot origin) {
  co_await t.when_ready();
  try {
    t.result();
  } catch (...) {
    origin.run(report_unhandled_exception, std::current_exception());
  }
}

}  // namespace detail

// Runs `t` through `ex` (execute(f) or post(f)), detached. If execute/post throws, the task
// is destroyed unstarted and the exception propagates.
template <class Executor, class T>
  requires detail::executor<std::remove_cvref_t<Executor>>
void spawn(Executor&& ex, task<T> t) {
  auto body = detail::run_detached(std::move(t), asyncctx::snapshot{});
  detail::execute_on(ex, detail::resume_or_destroy(body.coro));
}

// Starts `t` detached on the calling thread now; it runs until its first suspension.
template <class T>
void spawn(task<T> t) {
  detail::run_detached(std::move(t), asyncctx::snapshot{}).coro.resume();
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
