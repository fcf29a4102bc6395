// A minimal context-free coroutine used by the task companions (sync_wait, when_all,
// when_any, spawn) to await a task and then run a completion action from its
// final_suspend. It installs no context of its own: the task it awaits installs its
// context around its own steps, and the completion action runs in the context of the
// thread that finished the task.
//
// Thread-safety: started once by its owner; the completion may run on any thread.
#pragma once

#include <asyncctx/detail/symmetric_transfer.hpp>

#include <coroutine>
#include <exception>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// `on_done` is called from final_suspend with the coroutine handle and returns the
// coroutine to resume next (std::noop_coroutine() for none). It may destroy the frame.
template <class OnDone>
class completion_coroutine {
 public:
  struct promise_type {
    OnDone on_done;

    template <class... Args>
    explicit promise_type(OnDone done, Args&&...) noexcept : on_done(std::move(done)) {}

    completion_coroutine get_return_object() noexcept {
      return completion_coroutine(std::coroutine_handle<promise_type>::from_promise(*this));
    }
    std::suspend_always initial_suspend() const noexcept { return {}; }
    auto final_suspend() const noexcept {
      struct awaiter {
        bool await_ready() const noexcept { return false; }
#if ASYNCCTX_SYMMETRIC_TRANSFER
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> self) noexcept {
          return self.promise().on_done(self);
        }
#else
        void await_suspend(std::coroutine_handle<promise_type> self) noexcept { self.promise().on_done(self).resume(); }
#endif
        void await_resume() const noexcept {}
      };
      return awaiter{};
    }
    void return_void() const noexcept {}
    // The awaited tasks are only waited for (when_ready), never read: nothing can throw.
    void unhandled_exception() const noexcept { std::terminate(); }
  };

  completion_coroutine() noexcept = default;
  explicit completion_coroutine(std::coroutine_handle<promise_type> h) noexcept : coro_(h) {}
  completion_coroutine(completion_coroutine&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  completion_coroutine& operator=(completion_coroutine&& o) noexcept {
    if (this != &o) {
      if (coro_) coro_.destroy();
      coro_ = std::exchange(o.coro_, {});
    }
    return *this;
  }
  ~completion_coroutine() {
    if (coro_) coro_.destroy();
  }

  std::coroutine_handle<promise_type> handle() const noexcept { return coro_; }
  // Gives up ownership (for frames that destroy themselves in on_done).
  std::coroutine_handle<promise_type> release() noexcept { return std::exchange(coro_, {}); }

 private:
  std::coroutine_handle<promise_type> coro_;
};

// Awaits `t.when_ready()`; `done` runs at the end. The first parameter is the promise's
// constructor argument (coroutine promises see the coroutine's parameters).
template <class OnDone, class Task>
completion_coroutine<OnDone> await_completion(OnDone /*done*/, Task& t) {
  co_await t.when_ready();
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
