// asyncctx::sync_wait(task): runs a task to completion, blocking the calling thread, and
// returns its result (or rethrows its exception). The bridge from synchronous code (main,
// a test, a thread) into tasks.
//
// The task runs in its own context (the one current when its coroutine function was
// called); the calling thread's context is unchanged afterwards. The cancellation and
// deadline of the caller's context are passed on to the task (cancellation.hpp): cancelling
// the caller's context cancels the task's too. The task starts on the
// calling thread and may finish on another (after schedule_on, a foreign resume): the
// caller then waits on a condition variable.
//
// Do not call sync_wait from a thread that the task needs to finish (for instance from
// the only worker of the pool it schedules itself onto): that deadlocks, as any blocking
// wait would.
#pragma once

#include <asyncctx/detail/cancellation_join.hpp>
#include <asyncctx/detail/completion_coroutine.hpp>
#include <asyncctx/task.hpp>

#include <condition_variable>
#include <coroutine>
#include <mutex>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {

// Set once by the finishing thread. The notification happens under the lock, so the
// waiter (which owns this object on its stack) cannot return and destroy it while the
// notifier still touches it.
class sync_wait_event {
 public:
  void set() noexcept {
    std::lock_guard lock(mutex_);
    done_ = true;
    cv_.notify_one();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    cv_.wait(lock, [this] { return done_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool done_ = false;
};

struct sync_wait_done {
  sync_wait_event* event;
  template <class Handle>
  std::coroutine_handle<> operator()(Handle) const noexcept {
    event->set();
    return std::noop_coroutine();
  }
};

}  // namespace detail

// Runs `t` to completion on the calling thread (and wherever the task moves itself) and
// returns its result: T for task<T> (moved out), T& for task<T&>, nothing for task<void>.
template <class T>
T sync_wait(task<T> t) {
  detail::sync_wait_event event;
  detail::cancellation_join join;
  if (t.valid() && !t.is_ready()) join.join(t.context_machinery());
  {
    auto waiter = detail::await_completion(detail::sync_wait_done{&event}, t);
    waiter.handle().resume();
    event.wait();
  }
  if constexpr (std::is_void_v<T> || std::is_reference_v<T>) {
    return t.result();
  } else {
    return std::move(t).result();
  }
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
