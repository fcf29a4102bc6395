// asyncctx::task<T>: a lazy coroutine that carries its context, the C++ form of a
// JavaScript async function (the task rules of docs/semantics.md).
//
//   asyncctx::task<int> handle() {
//     co_await asyncctx::schedule_on(pool.get_executor());
//     co_return *request_id.get();      // the id bound where handle() was called
//   }
//   auto t = request_id.run(42, [] { return handle(); });   // t runs with request_id == 42
//
// Context rules:
//   * a task runs in the context current when its coroutine function was called, wherever
//     and whenever it is first awaited;
//   * set / run / enter_with inside it persist across its own suspensions and are seen by
//     what it creates later; they never reach its awaiter, its siblings or the threads it
//     runs on (unlike Node, also not an enter_with before the first co_await);
//   * around every resume, by any awaitable on any thread, the task's context and async ids
//     are installed, and the thread's own are put back when it suspends or ends.
// Each task is an async resource of type "TASK" (init at creation with the creator's
// execution_async_id() as trigger, before/after around every resume, destroy with the
// frame).
//
// A task does nothing until it is awaited (or started by sync_wait, when_all, when_any,
// spawn). co_await of a task resumes it by symmetric transfer and resumes the awaiter the
// same way when it ends, so chains of synchronous completions use no stack. An exception
// leaving the body is rethrown to the awaiter.
//
// Thread-safety: a task object is owned by one piece of code at a time (move-only). It
// may be awaited once at a time; a finished task's result can be read again through an
// lvalue co_await. The task may be resumed on any thread.
#pragma once

#include <asyncctx/detail/symmetric_transfer.hpp>
#include <asyncctx/detail/task_context.hpp>

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class T = void>
class task;

namespace detail {

class task_promise_common : public task_promise_base {
 public:
  struct final_awaiter {
    bool await_ready() const noexcept { return false; }
#if ASYNCCTX_SYMMETRIC_TRANSFER
    template <class Promise>
    ASYNCCTX_ALWAYS_INLINE std::coroutine_handle<> await_suspend(std::coroutine_handle<Promise> self) noexcept {
      task_promise_common& p = self.promise();
      p.finish();
      // Symmetric transfer to the awaiter: no stack is used per completed task.
      return p.continuation_ ? p.continuation_ : std::noop_coroutine();
    }
#else
    template <class Promise>
    void await_suspend(std::coroutine_handle<Promise> self) noexcept {
      task_promise_common& p = self.promise();
      p.finish();
      // Whoever comes second resumes the awaiter: us if it has already suspended, else
      // its await_suspend, which then simply does not suspend.
      if (p.done_or_waiting_.exchange(true, std::memory_order_acq_rel)) p.continuation_.resume();
    }
#endif
    void await_resume() const noexcept {}
  };

  final_awaiter final_suspend() noexcept { return {}; }

#if ASYNCCTX_SYMMETRIC_TRANSFER
  // Starts the task; it resumes `awaiting` by symmetric transfer when it ends.
  std::coroutine_handle<> start(std::coroutine_handle<> self, std::coroutine_handle<> awaiting) noexcept {
    continuation_ = awaiting;
    return self;
  }
#else
  // Starts the task; returns false when it has already finished (do not suspend).
  bool start(std::coroutine_handle<> self, std::coroutine_handle<> awaiting) noexcept {
    continuation_ = awaiting;
    self.resume();
    return !done_or_waiting_.exchange(true, std::memory_order_acq_rel);
  }
#endif

 private:
  std::coroutine_handle<> continuation_;
#if !ASYNCCTX_SYMMETRIC_TRANSFER
  std::atomic<bool> done_or_waiting_{false};
#endif
};

template <class T>
class task_promise final : public task_promise_common {
 public:
  task_promise() noexcept {}
  ~task_promise() {
    if (state_ == state::value) {
      value_.~T();
    } else if (state_ == state::error) {
      error_.~exception_ptr();
    }
  }

  task<T> get_return_object() noexcept;

  void unhandled_exception() noexcept {
    ::new (static_cast<void*>(std::addressof(error_))) std::exception_ptr(std::current_exception());
    state_ = state::error;
  }

  template <class U = T>
    requires std::is_convertible_v<U&&, T>
  void return_value(U&& v) noexcept(std::is_nothrow_constructible_v<T, U&&>) {
    ::new (static_cast<void*>(std::addressof(value_))) T(static_cast<U&&>(v));
    state_ = state::value;
  }

  T& result() & {
    if (state_ == state::error) [[unlikely]]
      std::rethrow_exception(error_);
    return value_;
  }
  T&& result() && {
    if (state_ == state::error) [[unlikely]]
      std::rethrow_exception(error_);
    return static_cast<T&&>(value_);
  }

 private:
  enum class state : unsigned char { empty, value, error };
  union {
    T value_;
    std::exception_ptr error_;
  };
  state state_ = state::empty;
};

template <>
class task_promise<void> final : public task_promise_common {
 public:
  task<void> get_return_object() noexcept;
  void unhandled_exception() noexcept { error_ = std::current_exception(); }
  void return_void() noexcept {}
  void result() {
    if (error_) [[unlikely]]
      std::rethrow_exception(error_);
  }

 private:
  std::exception_ptr error_;
};

template <class T>
class task_promise<T&> final : public task_promise_common {
 public:
  task<T&> get_return_object() noexcept;
  void unhandled_exception() noexcept { error_ = std::current_exception(); }
  void return_value(T& v) noexcept { value_ = std::addressof(v); }
  T& result() {
    if (error_) [[unlikely]]
      std::rethrow_exception(error_);
    return *value_;
  }

 private:
  T* value_ = nullptr;
  std::exception_ptr error_;
};

[[noreturn]] inline void throw_empty_task() { throw std::logic_error("asyncctx::task: awaiting an empty task"); }

}  // namespace detail

template <class T>
class [[nodiscard]] task {
 public:
  using promise_type = detail::task_promise<T>;
  using value_type = T;

  // An empty task (as after a move); awaiting it throws std::logic_error.
  task() noexcept = default;
  explicit task(std::coroutine_handle<promise_type> coro) noexcept : coro_(coro) {}
  task(task&& other) noexcept : coro_(std::exchange(other.coro_, {})) {}
  task& operator=(task&& other) noexcept {
    if (this != &other) {
      if (coro_) coro_.destroy();
      coro_ = std::exchange(other.coro_, {});
    }
    return *this;
  }
  task(const task&) = delete;
  task& operator=(const task&) = delete;
  // Destroying a task that has not started releases its captured context. Destroying one
  // suspended at a co_await (a lazy task never awaited to its end: cancellation, the losers
  // of when_any) runs the destructors of its locals in the task's own context, as if it were
  // resumed: the scopes it left open end there, in order, and the destroying thread's context
  // is untouched. Destroying a running task is a bug, as for any coroutine.
  ~task() {
    if (coro_) coro_.destroy();
  }

  bool valid() const noexcept { return static_cast<bool>(coro_); }
  // True when the task has finished (with a value or an exception).
  bool is_ready() const noexcept { return !coro_ || coro_.done(); }

  // co_await t: the result as an lvalue (T&), the task keeps it. co_await std::move(t):
  // the result moved out (T). void and T& tasks give void and T&.
  auto operator co_await() & noexcept {
    struct awaiter : awaiter_base {
      decltype(auto) await_resume() {
        if (!this->coro) detail::throw_empty_task();
        return this->coro.promise().result();
      }
    };
    return awaiter{{coro_}};
  }
  auto operator co_await() && noexcept {
    struct awaiter : awaiter_base {
      decltype(auto) await_resume() {
        if (!this->coro) detail::throw_empty_task();
        if constexpr (std::is_void_v<T> || std::is_reference_v<T>) {
          return this->coro.promise().result();
        } else {
          return T(std::move(this->coro.promise()).result());
        }
      }
    };
    return awaiter{{coro_}};
  }

  // An awaitable that starts the task (if needed) and completes when it has finished,
  // without reading its result (used by when_all / when_any / sync_wait machinery).
  auto when_ready() noexcept {
    struct awaiter : awaiter_base {
      void await_resume() const noexcept {}
    };
    return awaiter{{coro_}};
  }

  // The finished task's result (rethrows its exception). Precondition: is_ready().
  decltype(auto) result() & {
    if (!coro_) detail::throw_empty_task();
    return coro_.promise().result();
  }
  decltype(auto) result() && {
    if (!coro_) detail::throw_empty_task();
    if constexpr (std::is_void_v<T> || std::is_reference_v<T>) {
      return coro_.promise().result();
    } else {
      return T(std::move(coro_.promise()).result());
    }
  }

  // The task's async id (execution_async_id() inside it). Precondition: valid().
  asyncctx::async_id async_id() const noexcept { return coro_.promise().id(); }

  // The promise's context machinery, for the task companions (sync_wait, when_all).
  // Precondition: valid().
  detail::task_promise_base& context_machinery() noexcept { return coro_.promise(); }

 private:
  struct awaiter_base {
    std::coroutine_handle<promise_type> coro;
    bool await_ready() const noexcept { return !coro || coro.done(); }
    // An awaiting task parks itself and this task borrows its saved thread state
    // (task_context.hpp, hands_over_context).
    static constexpr bool hands_over_context = true;
    // Starts the task: it resumes `awaiting` from its final_suspend. An awaiting task is
    // recorded, so that it can take this task's last context as its spare and be resumed
    // in its context directly (task_context.hpp).
    template <class Promise>
    auto await_suspend(std::coroutine_handle<Promise> awaiting) noexcept {
      if constexpr (std::is_base_of_v<detail::task_promise_base, Promise>) {
        coro.promise().borrow_from(&awaiting.promise());
      } else {
        coro.promise().set_parent(nullptr);
      }
      return coro.promise().start(coro, awaiting);
    }
  };

  std::coroutine_handle<promise_type> coro_;
};

namespace detail {
template <class T>
task<T> task_promise<T>::get_return_object() noexcept {
  return task<T>(std::coroutine_handle<task_promise>::from_promise(*this));
}
inline task<void> task_promise<void>::get_return_object() noexcept {
  return task<void>(std::coroutine_handle<task_promise>::from_promise(*this));
}
template <class T>
task<T&> task_promise<T&>::get_return_object() noexcept {
  return task<T&>(std::coroutine_handle<task_promise>::from_promise(*this));
}
}  // namespace detail

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
