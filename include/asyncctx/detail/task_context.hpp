// The context machinery of asyncctx::task: what a task promise does around every
// suspension and resumption so that the task always runs in its own context (the task
// rules of docs/semantics.md) and every thread gets its own context back when the task
// suspends. Everything it does to the thread goes through the thread's execution_state.
//
// A task's context is owned by exactly one place at a time:
//   * while the task is suspended (not started, at a co_await) by `task_promise_base::ctx_`;
//   * while it runs, by the thread (its execution_state's context), and the thread's own
//     execution, which the task displaced, is parked in `saved_`.
// enter() and leave() only move these two owned pointers (and the running task, below): a
// resume or a suspension costs a few thread-local loads/stores and no reference-count
// operation. Whatever the task's code made current (set, run, enter_with) is what leave()
// takes over, so bindings persist across the task's own suspensions and never reach the
// thread, the awaiting parent or siblings.
//
// Every co_await in a task goes through await_transform, which wraps the awaiter in a
// `context_awaiter`: leave() runs *before* the inner await_suspend (after it, another thread
// may already resume the task) and enter() runs in await_resume, on whichever thread
// resumed the task, whoever that is (an executor, a foreign std::thread, a child task's
// final_suspend).
//
// Hand-over (a task awaiting a task). When a task starts a child by symmetric transfer, a
// leave() of the parent followed by an enter() of the child would put the thread's own
// state back only to save it again. Instead the parent parks its context (park_for_child)
// and the child *borrows*: it installs its own context and ids but saves nothing, because
// the thread's own state is still saved in the parent (or, for a chain of borrowers, in the
// nearest task up the chain that entered normally). If the child runs to its end without
// suspending, its finish() installs the parent directly and the parent's await_resume has
// nothing left to do (resume_after_child). If it suspends, its leave() puts back the state
// found up the chain and stops borrowing; the parent, resumed later from wherever the child
// ends, does a full enter().
//
// Spare reference (no atomic operation per ready child in steady state). A child captures
// its creator's context (one increment) and releases its last context when it ends (one
// decrement, never the sole-owner fast path: the parent holds the frame too). Instead, a
// task awaited by a task hands its last context, when it equals the parent's own, to the
// parent as `spare_` (the parent is suspended then: it is resumed only after the hand-back,
// by symmetric transfer or after the done_or_waiting_ exchange), and a task created while
// a task runs on the thread takes that spare when it is exactly the context it captures
// (execution_state::running_task, frame.hpp). Invariant: a spare is the same frame as the context its
// task keeps, so it never keeps a value alive: leave(), finish() and the destructor release
// a spare that differs, and while the task runs, any release of that frame on the thread
// (scope restored, enter_with, end of a run) drops the spare with it (frame.hpp, release).
//
// Thread-safety: a promise is touched only by the thread running its coroutine, and by the
// child it awaits, which writes `spare_` while the parent is suspended; the hand-over
// between threads is ordered by whatever resumes the coroutine.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/get_awaiter.hpp>
#include <asyncctx/detail/hook_events.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <coroutine>
#include <cstddef>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

template <class Awaiter>
class context_awaiter;

class task_promise_base : protected task_spare_slot {
 public:
  // Runs when the coroutine function is called: the task's context is the caller's (the
  // running task's spare reference when it is that frame, else a new reference), and the
  // task is an async resource triggered by the caller's resource.
  task_promise_base() noexcept {
    execution_state& state = execution_state::here();
    id_ = state.new_async_id();
    trigger_ = state.execution_id();
    frame* cur = state.context();
    task_spare_slot* running = state.running_task();
    if (running != nullptr && running->spare_ == cur) {
      running->spare_ = nullptr;
    } else {
      retain(cur);
    }
    ctx_ = cur;
    if (hooks_enabled()) [[unlikely]]
      emit_init(id_, "TASK", trigger_, this);
  }
  task_promise_base(const task_promise_base&) = delete;
  task_promise_base& operator=(const task_promise_base&) = delete;

  // The frame is destroyed only while suspended: before the start or at a co_await, ctx_
  // owns the task's context (and spare_ is null or the same frame); after the end, finish()
  // has already released both.
  ~task_promise_base() {
    if (ctx_ != nullptr || spare_ != nullptr) [[unlikely]]
      release_references();
    if (hooks_enabled()) [[unlikely]]
      emit_destroy(id_);
  }

  // Coroutine frames of tasks come from the per-thread block cache (block_allocator.hpp):
  // a ready child is allocated and freed on the same thread, usually a moment apart.
  static void* operator new(std::size_t size) { return allocate_block(size, __STDCPP_DEFAULT_NEW_ALIGNMENT__); }
  static void operator delete(void* p, std::size_t size) noexcept {
    free_block(p, size, __STDCPP_DEFAULT_NEW_ALIGNMENT__);
  }

  // Installs the task's context and async ids on the current thread; parks the thread's.
  ASYNCCTX_ALWAYS_INLINE void enter() noexcept {
    saved_ = execution_state::here().enter(own_execution());
    borrowed_ = false;
    announce_resume();
  }

  // Takes the task's (possibly changed) context back and puts the thread's own back. A
  // spare that is not the kept context goes (see the file comment). A borrowing task finds
  // the thread's state in the nearest awaiting task that saved it.
  ASYNCCTX_ALWAYS_INLINE void leave() noexcept {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    const task_promise_base* home = this;
    if (borrowed_) [[unlikely]]
      home = saved_state_holder();
    borrowed_ = false;
    ctx_ = execution_state::here().leave(home->saved_);
    if (spare_ != nullptr && spare_ != ctx_) [[unlikely]]
      release(std::exchange(spare_, nullptr));
  }

  // leave() at the end of the coroutine: the task's last context is released after the
  // context it returns to is back, so destructors of values run in the outer context (as
  // with context_swap). When a task awaits this one and keeps the same context, and has no
  // spare, the last context becomes its spare instead of being released (the same frame:
  // no value lives longer).
  //
  // A borrowing task (started by its awaiting task on this thread and never suspended since)
  // hands the thread straight to that task, which it resumes next: the awaiter's context and
  // ids are installed here and its await_resume does nothing more. Otherwise the thread's
  // own state goes back and the awaiter (if a task) enters on its resume.
  //
  // The common case (borrowing, no hook, no spare of its own, the last context handed back)
  // is straight-line code with no call: a call on the way would make every task's
  // coroutine body save and restore callee-saved registers on each resume. Everything else
  // goes through the out-of-line functions below.
  ASYNCCTX_ALWAYS_INLINE void finish() noexcept {
    if (borrowed_ && !hooked_ && spare_ == nullptr) [[likely]] {
      frame* last = execution_state::here().context();
      ctx_ = nullptr;
      task_promise_base* parent = parent_;
      parent->install_without_hooks();
      parent->resumed_by_child_ = true;
      if (parent->spare_ == nullptr && parent->ctx_ == last && !hooks_enabled()) [[likely]] {
        parent->spare_ = last;
        parent->hooked_ = false;
      } else {
        parent->take_back_from_child(last);
      }
    } else {
      finish_in_general();
    }
  }

  // Called by the running task just before it starts a child task on this thread by
  // symmetric transfer (borrow_from): parks the task's context, as leave() does, but
  // leaves the thread's own state where it is, in this task (or the task it borrows from).
  ASYNCCTX_ALWAYS_INLINE void park_for_child() noexcept {
    frame* now = execution_state::here().context();
    if (hooked_ || (spare_ != nullptr && spare_ != now)) [[unlikely]] {
      park_for_child_in_general();
      return;
    }
    ctx_ = now;
    resumed_by_child_ = false;
  }

  // The awaiting task's resume after a child started by hand-over: nothing to do when the
  // child finished without suspending (its finish() installed this task); a full enter()
  // when it suspended and the thread's state went back in between.
  // Afterwards resumed_by_child_ is true until the next park_for_child, so a hand-over
  // awaiter whose resumed_by_child_ is false when destroyed was destroyed while suspended.
  ASYNCCTX_ALWAYS_INLINE void resume_after_child() noexcept {
    if (!resumed_by_child_) [[unlikely]] {
      enter();
      resumed_by_child_ = true;
    }
  }

  // Destroying a task suspended at a co_await (its awaiter's destructor calls this, before
  // the task's locals are destroyed): the locals' destructors run as if the task were
  // resumed, in its own context and async ids and without hooks, so that the scopes it left
  // open end in order there and never touch the destroying thread's context. The thread's
  // state is saved here and put back by the promise's destructor (finish_discard).
  ASYNCCTX_NOINLINE void enter_to_discard() noexcept {
    release(std::exchange(spare_, nullptr));
    saved_ = execution_state::here().enter(own_execution());
    borrowed_ = false;
    hooked_ = false;
    ctx_ = discarding_marker();  // the thread owns the task's context until finish_discard
  }

  // The child side of the hand-over: `parent` (a task promise) has parked itself and this
  // task is resumed next on the same thread. It borrows the thread's saved state from the
  // parent instead of saving it again.
  void borrow_from(task_promise_base* parent) noexcept {
    parent_ = parent;
    borrowed_ = true;
  }

  // The task promise awaiting this task (set when a task starts it), or null.
  void set_parent(task_promise_base* parent) noexcept { parent_ = parent; }

  // The context of a task that has not started yet (owned by ctx_ then), and its
  // replacement by `owned`, a context derived from it (sync_wait and when_all add their
  // caller's cancellation, detail/cancellation_join.hpp). Precondition: not started.
  frame* unstarted_context() const noexcept { return ctx_; }
  void replace_unstarted_context(frame* owned) noexcept {
    release(std::exchange(ctx_, owned));
    if (spare_ != nullptr && spare_ != ctx_) release(std::exchange(spare_, nullptr));
  }

  async_id id() const noexcept { return id_; }

  template <class Awaitable>
  auto await_transform(Awaitable&& a) noexcept(noexcept(get_awaiter(static_cast<Awaitable&&>(a))));

  struct initial_awaiter {
    task_promise_base* promise;
    bool await_ready() const noexcept { return false; }
    void await_suspend(std::coroutine_handle<>) const noexcept {}
    void await_resume() const noexcept {
      if (promise->borrowed_) {
        promise->install();
      } else {
        promise->enter();
      }
    }
  };

  // Lazy start; the context was captured by the constructor and is installed on the first
  // resume, wherever that happens.
  initial_awaiter initial_suspend() noexcept { return initial_awaiter{this}; }

 private:
  // finish() of a task that does not borrow, has a hook to call or a spare to drop.
  ASYNCCTX_NOINLINE void finish_in_general() noexcept {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    execution_state& state = execution_state::here();
    frame* last = state.context();
    ctx_ = nullptr;
    if (spare_ != nullptr) [[unlikely]]
      release(std::exchange(spare_, nullptr));
    task_promise_base* parent = parent_;
    if (borrowed_) {
      parent->install_without_hooks();
      parent->resumed_by_child_ = true;
      parent->take_back_from_child(last);
      return;
    }
    state.leave(saved_);
    if (parent != nullptr && parent->spare_ == nullptr && parent->ctx_ == last) {
      parent->spare_ = last;
    } else {
      release(last);
    }
  }

  // The rest of a borrowing child's finish() once this task (its parent) is installed
  // without hooks: `last` (the child's last context) becomes this task's spare or goes,
  // then the before hook of this task's resume.
  ASYNCCTX_NOINLINE void take_back_from_child(frame* last) noexcept {
    if (spare_ == nullptr && ctx_ == last) {
      spare_ = last;
    } else {
      release(last);
    }
    hooked_ = hooks_enabled();
    if (hooked_) [[unlikely]]
      emit_before(id_);
  }

  ASYNCCTX_NOINLINE void park_for_child_in_general() noexcept {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    ctx_ = execution_state::here().context();
    resumed_by_child_ = false;
    if (spare_ != nullptr && spare_ != ctx_) [[unlikely]]
      release(std::exchange(spare_, nullptr));
  }

  // Out of line: a task that ran to its end has released both already, and keeping the
  // releases out of the destroy path keeps that path small.
  ASYNCCTX_NOINLINE void release_references() noexcept {
    if (ctx_ == discarding_marker()) [[unlikely]] {
      finish_discard();
      return;
    }
    release(std::exchange(spare_, nullptr));
    release(std::exchange(ctx_, nullptr));
  }

  // ctx_ of a task whose suspended frame is being destroyed (enter_to_discard): not a frame,
  // and never dereferenced; it only tells the destructor to put the thread's state back.
  static frame* discarding_marker() noexcept {
    alignas(frame) static constinit char marker = 0;
    return reinterpret_cast<frame*>(&marker);
  }

  // The end of a discard: the task's locals are gone. The thread gets its own state back,
  // then the task's last context (owned by the thread since enter_to_discard) is released,
  // so its values die in the destroying thread's own context, as at a task's end. A scope
  // of the task kept alive elsewhere can no longer unwind this thread (new epoch).
  void finish_discard() noexcept {
    execution_state& state = execution_state::here();
    frame* last = state.leave(saved_);
    state.bump_unwind_epoch();
    ctx_ = nullptr;
    release(std::exchange(spare_, nullptr));
    release(last);
  }

  // Makes this task's context and ids the thread's (the thread's own state is saved
  // elsewhere: in this task by enter(), or up the chain of borrowers).
  ASYNCCTX_ALWAYS_INLINE void install() noexcept {
    install_without_hooks();
    announce_resume();
  }

  ASYNCCTX_ALWAYS_INLINE void install_without_hooks() noexcept { execution_state::here().set(own_execution()); }

  ASYNCCTX_ALWAYS_INLINE execution own_execution() noexcept { return execution{ctx_, this, id_, trigger_}; }

  ASYNCCTX_ALWAYS_INLINE void announce_resume() noexcept {
    hooked_ = hooks_enabled();
    if (hooked_) [[unlikely]]
      emit_before(id_);
  }

  // The task whose saved_* fields hold the thread's own state for a borrowing task: the
  // nearest one up the chain of awaiting tasks that entered normally.
  const task_promise_base* saved_state_holder() const noexcept {
    const task_promise_base* p = this;
    while (p->borrowed_) p = p->parent_;
    return p;
  }

  frame* ctx_;  // owned while suspended (see the class comment)
  // Written by enter() before any read: left uninitialised, the ramp of every task pays for
  // what it initialises.
  // The running thread's own execution (its context owned) while the task runs.
  execution saved_;
  task_promise_base* parent_ = nullptr;  // the task awaiting this one (final hand-back)
  async_id id_;
  async_id trigger_;
  // Started by its awaiting task (borrow_from) and not suspended since: the thread's own
  // state is saved in parent_ (or further up), not in saved_*.
  bool borrowed_ = false;
  // Set by a borrowing child's finish(): this task's context is already installed.
  bool resumed_by_child_;
  bool hooked_;  // set by install(), read after it

  template <class Awaiter>
  friend class context_awaiter;
};

// An awaiter that starts a task on this thread by symmetric transfer and is resumed by
// that task's end declares `hands_over_context`: its await_suspend calls borrow_from on
// the child when the awaiting coroutine is a task. The awaiting task then parks itself
// with park_for_child instead of leave(), and the child borrows the thread's saved state.
template <class Awaiter>
concept hands_over_context = std::remove_cvref_t<Awaiter>::hands_over_context;

// Wraps the awaiter of every co_await in a task (see the file comment). `Awaiter` is a
// value or a reference (when the awaitable is its own awaiter).
template <class Awaiter>
class context_awaiter {
 public:
  template <class A>
  context_awaiter(A&& awaiter, task_promise_base* promise) noexcept(std::is_nothrow_constructible_v<Awaiter, A&&>)
      : inner_(static_cast<A&&>(awaiter)), promise_(promise) {}

  // A ready awaiter costs nothing: the task keeps running in its context.
  bool await_ready() {
    if constexpr (hands_over_context<Awaiter>) {
      // A child that is already done (or an empty task) is not started: this task simply
      // goes on, so its await_resume must not enter again.
      if (inner_.await_ready()) {
        promise_->resumed_by_child_ = true;
        return true;
      }
      return false;
    } else {
      return inner_.await_ready();
    }
  }

  template <class Promise>
  auto await_suspend(std::coroutine_handle<Promise> self) {
    using result = decltype(inner_.await_suspend(self));
    static_assert(std::is_void_v<result> || std::is_same_v<result, bool> ||
                      std::is_convertible_v<result, std::coroutine_handle<>>,
                  "await_suspend must return void, bool or a coroutine_handle");
    if constexpr (hands_over_context<Awaiter>) {
      static_assert(noexcept(inner_.await_suspend(self)));
      promise_->park_for_child();
      return inner_.await_suspend(self);
    } else {
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
  }

  decltype(auto) await_resume() {
    if constexpr (hands_over_context<Awaiter>) {
      promise_->resume_after_child();
    } else if (suspended_) {
      suspended_ = false;
      promise_->enter();
    }
    return inner_.await_resume();
  }

  // Destroyed while still suspended: the task itself is being destroyed at this co_await
  // (see enter_to_discard). After await_resume, neither flag says so.
  ~context_awaiter() {
    if constexpr (hands_over_context<Awaiter>) {
      if (!promise_->resumed_by_child_) [[unlikely]]
        promise_->enter_to_discard();
    } else {
      if (suspended_) [[unlikely]]
        promise_->enter_to_discard();
    }
  }

  context_awaiter(const context_awaiter&) = delete;
  context_awaiter& operator=(const context_awaiter&) = delete;

 private:
  Awaiter inner_;
  task_promise_base* promise_;
  // Between the leave() of await_suspend and the enter() of await_resume. Unused when the
  // awaiter hands over (resumed_by_child_ says it).
  bool suspended_ = false;
};

template <class Awaitable>
auto task_promise_base::await_transform(Awaitable&& a) noexcept(noexcept(get_awaiter(static_cast<Awaitable&&>(a)))) {
  return context_awaiter<awaiter_t<Awaitable>>(get_awaiter(static_cast<Awaitable&&>(a)), this);
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
