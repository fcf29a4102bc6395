// The shared state behind promise<T> / future<T>, and the per-thread reaction queue.
//
// A state is settled at most once (the first of resolve/reject wins: `claim`), from any
// thread. Reactions (then callbacks, awaiting coroutines, combinator inputs) are
// `continuation` nodes pushed on a lock-free list; settling swaps the list for the
// `settled_tag` and runs what it took. A reaction registered after that runs at once. So:
//   * reading a settled state (the fast path) is one acquire load, no lock;
//   * registering is one CAS; settling is one exchange; nothing ever blocks but wait().
//
// Reactions do not run nested: each thread has a FIFO reaction queue (JavaScript's microtask
// queue, per thread). The outermost settle / registration on a thread drains it before it
// returns; one made from inside a reaction appends to it. A chain of a million `then`s thus
// runs in constant stack, and reactions run in the order JavaScript would run them on that
// thread.
//
// Reference counting: futures, the promise, every registered reaction node that settles a
// state (then_state, combinators) and every queued reaction (for its source) hold one
// reference. A state is destroyed by whoever drops the last one: that is where an
// unhandled rejection is reported and the async hook `destroy` is emitted.
//
// Async hooks: a state is a resource of type "PROMISE". init is emitted at construction,
// promise_resolve when it settles, before/after around each callback a then_state runs (with
// execution_async_id() == the then_state's id, as Node uses the id of the promise `then`
// returned), destroy when it goes. Ids are always assigned (a thread-local increment); the
// hooks themselves are only called when some hook is enabled.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/hook_events.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// The value type stored for future<T>: future<void> stores an empty `unit`.
struct unit {};
template <class T>
using stored_t = std::conditional_t<std::is_void_v<T>, unit, T>;

class state_base;

// A reaction to a state's settlement. `fire` runs it with the settled source, or with a null
// source when the source was destroyed without ever settling (a reaction to race({}), say):
// then it only releases what it holds. `fire` may destroy the node.
struct continuation {
  continuation* next = nullptr;  // in the state's list, then in the thread's queue
  state_base* source = nullptr;  // while queued: an owned reference to the settled state
  void (*fire)(continuation* self, state_base* source) noexcept = nullptr;
};

// Reports an unhandled rejection through the error channel, in `owned_context` (a reference
// handed over: the context current when the future was rejected), so a handler that logs
// sees the request that failed, not whoever happened to release the future.
inline void report_unhandled_rejection(const std::exception_ptr& error, frame* owned_context) noexcept {
  context_swap guard(owned_context);
  report_error(error_kind::unhandled_rejection, "a rejected future was dropped without being observed", error);
}

void run_reactions(continuation* first, continuation* last) noexcept;

class state_base {
 public:
  state_base(const state_base&) = delete;
  state_base& operator=(const state_base&) = delete;

  void add_ref(std::uint32_t n = 1) noexcept { refs_.fetch_add(n, std::memory_order_relaxed); }
  void release() noexcept {
    if (refs_.load(std::memory_order_acquire) == 1 || refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
      last_release();
    }
  }

  // True once settled (acquire: the result is visible after it returned true).
  bool ready() const noexcept { return status_.load(std::memory_order_acquire) >= fulfilled_status; }
  // No other reference exists (so nobody else can observe this state).
  bool sole_owner() const noexcept { return refs_.load(std::memory_order_acquire) == 1; }
  // Only meaningful once ready().
  bool rejected() const noexcept { return rejected_; }
  const std::exception_ptr& error() const noexcept { return error_; }

  // Blocks until settled.
  void wait() const noexcept {
    std::uint32_t s = status_.load(std::memory_order_acquire);
    while (s < fulfilled_status) {
      status_.wait(s, std::memory_order_acquire);
      s = status_.load(std::memory_order_acquire);
    }
  }

  // Something will observe the outcome: a rejection is then not "unhandled".
  void mark_handled() noexcept { handled_.store(true, std::memory_order_relaxed); }

  // Adds `c` to the reactions. False when the state is already settled: the caller must
  // then run it itself (schedule()).
  bool try_register(continuation* c) noexcept {
    std::uintptr_t h = head_.load(std::memory_order_acquire);
    do {
      if (h == settled_tag) return false;
      c->next = reinterpret_cast<continuation*>(h);
    } while (!head_.compare_exchange_weak(h, reinterpret_cast<std::uintptr_t>(c), std::memory_order_release,
                                          std::memory_order_acquire));
    return true;
  }

  // Registers `c`, or queues it on this thread's reaction queue when already settled.
  void register_or_schedule(continuation* c) noexcept {
    if (!try_register(c)) {
      add_ref();
      c->source = this;
      c->next = nullptr;
      run_reactions(c, c);
    }
  }

  // Nobody has won claim() yet.
  bool claim_available() const noexcept { return status_.load(std::memory_order_acquire) == pending_status; }

  // First settler wins; the winner must then store the result and call publish().
  bool claim() noexcept {
    std::uint32_t expected = pending_status;
    return status_.compare_exchange_strong(expected, claimed_status, std::memory_order_acq_rel,
                                           std::memory_order_relaxed);
  }

  // Settles a claimed state with `error` (must not be null), capturing the current context
  // for a possible unhandled-rejection report.
  void publish_error(std::exception_ptr error) noexcept {
    if (!error) [[unlikely]]
      error = std::make_exception_ptr(std::invalid_argument("asyncctx: rejected with a null exception_ptr"));
    error_ = std::move(error);
    reject_context_ = capture_current();
    rejected_ = true;
    publish();
  }

  bool reject(std::exception_ptr error) noexcept {
    if (!claim()) return false;
    publish_error(std::move(error));
    return true;
  }

  async_id id() const noexcept { return id_; }
  async_id trigger() const noexcept { return trigger_; }

 protected:
  explicit state_base(async_id trigger) noexcept : id_(new_async_id()), trigger_(trigger) {
    if (hooks_enabled()) [[unlikely]]
      emit_init(id_, "PROMISE", trigger_, this);
  }
  virtual ~state_base() { detail::release(reject_context_); }

  // Called by the winner of claim() once the result is stored: makes it visible and runs
  // the reactions (on this thread, through its reaction queue). The caller holds a reference.
  void publish() noexcept {
    const std::uintptr_t h = head_.exchange(settled_tag, std::memory_order_acq_rel);
    status_.store(rejected_ ? rejected_status : fulfilled_status, std::memory_order_release);
    status_.notify_all();
    if (hooks_enabled()) [[unlikely]]
      emit_promise_resolve(id_);
    if (h == 0) return;
    // The list is newest first: reverse it so reactions run in registration order.
    continuation* first = nullptr;
    continuation* last = reinterpret_cast<continuation*>(h);
    std::uint32_t n = 0;
    for (continuation* c = last; c != nullptr;) {
      continuation* next = c->next;
      c->next = first;
      c->source = this;
      first = c;
      c = next;
      ++n;
    }
    add_ref(n);  // one per queued reaction, released after it ran
    run_reactions(first, last);
  }

 private:
  static constexpr std::uintptr_t settled_tag = 1;
  static constexpr std::uint32_t pending_status = 0, claimed_status = 1, fulfilled_status = 2, rejected_status = 3;

  void last_release() noexcept {
    const std::uintptr_t h = head_.load(std::memory_order_acquire);
    if (h != settled_tag) {
      // Never settled (only possible without a settler, e.g. race({})): let the reactions
      // drop what they hold.
      for (auto* c = reinterpret_cast<continuation*>(h); c != nullptr;) {
        continuation* next = c->next;
        c->fire(c, nullptr);
        c = next;
      }
    } else if (rejected_ && !handled_.load(std::memory_order_relaxed)) {
      report_unhandled_rejection(error_, std::exchange(reject_context_, nullptr));
    }
    if (hooks_enabled()) [[unlikely]]
      emit_destroy(id_);
    delete this;
  }

  std::atomic<std::uint32_t> refs_{1};
  mutable std::atomic<std::uint32_t> status_{pending_status};
  std::atomic<std::uintptr_t> head_{0};  // continuation* list, or settled_tag
  std::atomic<bool> handled_{false};
  bool rejected_ = false;  // written before publish, read after ready()
  async_id id_;
  async_id trigger_;
  std::exception_ptr error_;
  frame* reject_context_ = nullptr;  // owned; the context current at reject()
};

// Appends the linked reactions first..last (each with `source` set and counted) to this
// thread's queue and, unless this thread is already draining it, drains it.
inline void run_reactions(continuation* first, continuation* last) noexcept {
  reaction_queue& q = execution_state::here().reactions();
  last->next = nullptr;
  if (q.tail != nullptr) {
    q.tail->next = first;
  } else {
    q.head = first;
  }
  q.tail = last;
  if (q.draining) return;
  q.draining = true;
  while (continuation* c = q.head) {
    q.head = c->next;
    if (q.head == nullptr) q.tail = nullptr;
    state_base* source = c->source;
    c->fire(c, source);  // may free c
    source->release();
  }
  q.draining = false;
}

template <class T>
class shared_state : public state_base {
 public:
  using value_type = stored_t<T>;

  explicit shared_state(async_id trigger = execution_state::here().execution_id()) noexcept : state_base(trigger) {}

  template <class... A>
  bool resolve(A&&... args) noexcept {
    if (!claim()) return false;
    fulfill_claimed(std::forward<A>(args)...);
    return true;
  }

  // Stores the value and publishes; the caller won claim(). A value constructor that throws
  // rejects the state with that exception instead.
  template <class... A>
  void fulfill_claimed(A&&... args) noexcept {
    try {
      value_.emplace(std::forward<A>(args)...);
    } catch (...) {
      publish_error(std::current_exception());
      return;
    }
    publish();
  }

  // Settles this (already claimed by the caller) like the settled `source`.
  void settle_claimed_like(shared_state& source) noexcept {
    if (source.rejected()) {
      publish_error(source.error());
    } else if constexpr (std::is_copy_constructible_v<value_type>) {
      fulfill_claimed(*source.value_);
    } else {
      fulfill_claimed(std::move(*source.value_));
    }
  }

  // Settles this like the settled `source`, unless already settled.
  bool settle_like(shared_state& source) noexcept {
    if (!claim()) return false;
    settle_claimed_like(source);
    return true;
  }

  // The fulfilled value, as reactions receive it: a const reference, or an rvalue for a
  // move-only T (whose value can be consumed once). Only after ready() && !rejected().
  decltype(auto) pass_value() noexcept {
    if constexpr (std::is_copy_constructible_v<value_type>) {
      return static_cast<const value_type&>(*value_);
    } else {
      return static_cast<value_type&&>(*value_);
    }
  }

  // The outcome, for get() and co_await: a copy (or the moved value for a move-only T).
  T take() {
    if (rejected()) std::rethrow_exception(error());
    if constexpr (!std::is_void_v<T>) return value_type(pass_value());
  }

 private:
  std::optional<value_type> value_;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
