// The context machinery of asyncctx::task: what a task promise does around every
// suspension and resumption so that the task always runs in its own context (DESIGN §3,
// "Task semantics") and every thread gets its own context back when the task suspends.
//
// A task's context is owned by exactly one place at a time:
//   * while the task is suspended (not started, at a co_await) by `task_promise_base::ctx_`;
//   * while it runs, by the thread (`t_current`), and the thread's own context, which the
//     task displaced, is parked in `saved_ctx_`.
// enter() and leave() only move these two owned pointers: a resume or a suspension costs
// four thread-local loads/stores and no reference-count operation. Whatever the task's code
// made current (set, run, enter_with) is what leave() takes over, so bindings persist across
// the task's own suspensions and never reach the thread, the awaiting parent or siblings.
//
// Every co_await in a task goes through await_transform, which wraps the awaiter in a
// `context_awaiter`: leave() runs *before* the inner await_suspend (after it, another thread
// may already resume the task) and enter() runs in await_resume, on whichever thread
// resumed the task, whoever that is (an executor, a foreign std::thread, a child task's
// final_suspend).
//
// Thread-safety: a promise is touched only by the thread running its coroutine; the
// hand-over between threads is ordered by whatever resumes the coroutine.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/get_awaiter.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace asyncctx::detail {

class task_promise_base {
 public:
  // Runs when the coroutine function is called: the task's context is the caller's, and
  // the task is an async resource triggered by the caller's resource.
  task_promise_base() noexcept : ctx_(capture_current()), id_(new_async_id()), trigger_(t_execution_id) {
    if (hooks_enabled()) [[unlikely]]
      emit_init(id_, "TASK", trigger_, this);
  }
  task_promise_base(const task_promise_base&) = delete;
  task_promise_base& operator=(const task_promise_base&) = delete;

  // The frame is destroyed only while suspended: before the start or at a co_await, ctx_
  // owns the task's context; after the end, finish() has already released it.
  ~task_promise_base() {
    release(ctx_);
    if (hooks_enabled()) [[unlikely]]
      emit_destroy(id_);
  }

  // Installs the task's context and async ids on the current thread; parks the thread's.
  ASYNCCTX_ALWAYS_INLINE void enter() noexcept {
    saved_ctx_ = t_current;
    t_current = ctx_;
    saved_id_ = t_execution_id;
    saved_trigger_ = t_trigger_id;
    t_execution_id = id_;
    t_trigger_id = trigger_;
    hooked_ = hooks_enabled();
    if (hooked_) [[unlikely]]
      emit_before(id_);
  }

  // Takes the task's (possibly changed) context back and puts the thread's own back.
  ASYNCCTX_ALWAYS_INLINE void leave() noexcept {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    t_execution_id = saved_id_;
    t_trigger_id = saved_trigger_;
    ctx_ = t_current;
    t_current = saved_ctx_;
  }

  // leave() at the end of the coroutine: the task's last context is released after the
  // thread's own is back, so destructors of values run in the outer context (as with
  // context_swap). Scopes that outlive the task learn that their context was unwound.
  ASYNCCTX_ALWAYS_INLINE void finish() noexcept {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    t_execution_id = saved_id_;
    t_trigger_id = saved_trigger_;
    frame* last = t_current;
    t_current = saved_ctx_;
    ctx_ = nullptr;
    release(last);
  }

  async_id id() const noexcept { return id_; }

  template <class Awaitable>
  auto await_transform(Awaitable&& a) noexcept(noexcept(get_awaiter(static_cast<Awaitable&&>(a))));

  struct initial_awaiter {
    task_promise_base* promise;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept { promise->enter(); }
  };

  // Lazy start; the context was captured by the constructor and is installed on the first
  // resume, wherever that happens.
  initial_awaiter initial_suspend() noexcept { return initial_awaiter{this}; }

 private:
  frame* ctx_;                  // owned while suspended (see the class comment)
  frame* saved_ctx_ = nullptr;  // the running thread's own context, owned while the task runs
  async_id id_;
  async_id trigger_;
  async_id saved_id_ = 0;
  async_id saved_trigger_ = 0;
  bool hooked_ = false;
};

// Wraps the awaiter of every co_await in a task (see the file comment). `Awaiter` is a
// value or a reference (when the awaitable is its own awaiter).
template <class Awaiter>
class context_awaiter {
 public:
  template <class A>
  context_awaiter(A&& awaiter, task_promise_base* promise) noexcept(std::is_nothrow_constructible_v<Awaiter, A&&>)
      : inner_(static_cast<A&&>(awaiter)), promise_(promise) {}

  // A ready awaiter costs nothing: the task keeps running in its context.
  bool await_ready() { return inner_.await_ready(); }

  template <class Promise>
  auto await_suspend(std::coroutine_handle<Promise> self) {
    using result = decltype(inner_.await_suspend(self));
    static_assert(std::is_void_v<result> || std::is_same_v<result, bool> ||
                      std::is_convertible_v<result, std::coroutine_handle<>>,
                  "await_suspend must return void, bool or a coroutine_handle");
    suspended_ = true;
    // From here until await_resume, the task's context lives in the promise, so another
    // thread may resume the task as soon as the inner awaiter has published the handle.
    // Nothing below may touch *this or the promise after the inner await_suspend.
    promise_->leave();
    if constexpr (noexcept(inner_.await_suspend(self))) {
      return inner_.await_suspend(self);
    } else {
      try {
        return inner_.await_suspend(self);
      } catch (...) {
        // The coroutine was not suspended after all: it goes on, in its context, with the
        // exception thrown from the co_await expression.
        suspended_ = false;
        promise_->enter();
        throw;
      }
    }
  }

  decltype(auto) await_resume() {
    if (suspended_) promise_->enter();
    return inner_.await_resume();
  }

 private:
  Awaiter inner_;
  task_promise_base* promise_;
  bool suspended_ = false;
};

template <class Awaitable>
auto task_promise_base::await_transform(Awaitable&& a) noexcept(noexcept(get_awaiter(static_cast<Awaitable&&>(a)))) {
  return context_awaiter<awaiter_t<Awaitable>>(get_awaiter(static_cast<Awaitable&&>(a)), this);
}

}  // namespace asyncctx::detail
