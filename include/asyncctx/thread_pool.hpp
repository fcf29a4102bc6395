// asyncctx::thread_pool: a fixed set of worker threads that run each task in the context of
// the code that submitted it, and are back in the empty context after it, so a task never
// leaks its context to the next one.
//
// Submitting captures the context (one reference, whatever the number of variables); the
// worker hands that reference to the thread for the task's duration: no copy, no lookup.
// Cancellation (cancellation.hpp): a job of post() or submit() whose context is already
// cancelled when a worker takes it is skipped: post()'s function is dropped unrun, submit()'s
// future holds asyncctx::cancelled_error with the cause. A job that has started sees a later
// cancellation through asyncctx::cancelled(). execute() and the executor (schedule_on,
// spawn) always run their function: it may be a coroutine that must resume to end.
// A task that throws: post() reports the exception to the library's error channel
// (error_handler.hpp, kind pool_task, in the task's context; by default a line on stderr)
// and the worker carries on; submit() delivers it through the future.
// Thread-safety: every member but the destructor may be called from any thread at once,
// including from inside a task. The destructor runs what is queued, then joins.
#pragma once

#include <asyncctx/cancelled.hpp>
#include <asyncctx/detail/callable.hpp>
#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/detail/unique_function.hpp>

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class ASYNCCTX_API thread_pool {
 public:
  // `threads` workers (at least 1).
  explicit thread_pool(std::size_t threads = default_size());
  thread_pool(const thread_pool&) = delete;
  thread_pool& operator=(const thread_pool&) = delete;
  ~thread_pool();

  // Runs f() on a worker, in the caller's current context.
  template <class F>
  void post(F&& f) {
    detail::require_callable(f, "asyncctx::thread_pool::post");
    push(detail::capture_current(), detail::unique_function(std::forward<F>(f)), true);
  }
  // post(f) for executor protocols, except that it always runs f, even in a cancelled
  // context: what goes through an executor (schedule_on, spawn, context_executor) is often
  // the resumption of a coroutine, which must run to see its cancellation and end.
  template <class F>
  void execute(F&& f) {
    detail::require_callable(f, "asyncctx::thread_pool::execute");
    push(detail::capture_current(), detail::unique_function(std::forward<F>(f)), false);
  }

  // Runs f() on a worker, in the caller's current context; the result (or exception)
  // arrives through the future.
  template <class F, class R = std::invoke_result_t<std::decay_t<F>&>>
  std::future<R> submit(F&& f) {
    std::promise<R> promise;
    std::future<R> result = promise.get_future();
    auto job = [p = std::move(promise), fn = std::decay_t<F>(std::forward<F>(f))]() mutable {
      if (const detail::cancel_node* n = detail::current_cancel_node(); n != nullptr && n->cancelled()) {
        p.set_exception(std::make_exception_ptr(cancelled_error(n->cause())));
        return;
      }
      try {
        if constexpr (std::is_void_v<R>) {
          fn();
          p.set_value();
        } else {
          p.set_value(fn());
        }
      } catch (...) {
        p.set_exception(std::current_exception());
      }
    };
    push(detail::capture_current(), detail::unique_function(std::move(job)), false);
    return result;
  }

  // Blocks until the queue is empty and no task is running.
  void wait_idle();

  std::size_t size() const noexcept { return workers_.size(); }

  // A copyable handle with execute(f)/post(f), for context_executor and generic code.
  class executor_type {
   public:
    template <class F>
    void execute(F&& f) const {
      pool_->execute(std::forward<F>(f));
    }
    template <class F>
    void post(F&& f) const {
      pool_->execute(std::forward<F>(f));
    }
    thread_pool& pool() const noexcept { return *pool_; }
    friend bool operator==(const executor_type&, const executor_type&) = default;

   private:
    friend class thread_pool;
    explicit executor_type(thread_pool* p) noexcept : pool_(p) {}
    thread_pool* pool_;
  };
  executor_type get_executor() noexcept { return executor_type(this); }

  static std::size_t default_size() noexcept {
    const unsigned n = std::thread::hardware_concurrency();
    return n == 0 ? 1 : n;
  }

 private:
  struct task {
    detail::frame* context = nullptr;  // owned; handed to the worker thread while the task runs
    detail::unique_function fn;
    bool skip_if_cancelled = true;  // false: fn looks at the cancellation itself (submit)
  };

  void push(detail::frame* context, detail::unique_function fn, bool skip_if_cancelled);
  void work();

  std::mutex mutex_;
  std::condition_variable ready_;
  std::condition_variable idle_;
  std::deque<task> queue_;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
