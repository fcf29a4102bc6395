// asyncctx::future<T>: the consuming side of a JavaScript-style promise.
//
// A future is a reference-counted handle on a shared state that is settled once (fulfilled
// with a value or rejected with an exception), from any thread, by an asyncctx::promise<T>,
// a `then` chain or a combinator (future_combinators.hpp). Any number of futures may share
// one state, and each may register any number of reactions.
//
// Context (TC39 PerformPromiseThen): a then / catch_ / finally callback runs in the context
// that was current when it was REGISTERED, never in the resolver's: registration captures it
// (one reference, whatever the number of variables) and the reaction installs it around the
// callback, then puts the thread's own back (also when the callback throws).
//
// When callbacks run: JavaScript queues a microtask; asyncctx has no global loop, so a
// callback runs on the thread that settles the future (inside resolve()/reject(), before it
// returns), or, when the future is already settled, on the thread that registers it (inside
// then(), before it returns). Reactions never nest: each thread has a FIFO reaction queue, and
// a reaction that settles another future or registers on a settled one appends to it; the
// outermost call drains it. So resolve() returns after every reaction it triggered (and
// theirs) ran, chains of any length use constant stack, and on one thread reactions run in
// JavaScript's order. Do not block inside a callback on work that needs this thread's queue.
//
// A callback returning a future<U> is flattened (as a thenable is): the future `then` returned
// adopts its outcome. A callback that throws rejects the returned future.
//
// Unhandled rejections: a rejected state destroyed with nothing having observed it (a
// then/catch_/finally registered on it, co_await, get(), or a combinator) is reported
// through the library's error channel (error_handler.hpp, kind unhandled_rejection), in the
// context current at the rejection. `then(on_fulfilled)` alone observes its source: a rejection propagates to
// the future it returns, which is then the one that must be handled, as in JavaScript.
//
// co_await: a plain awaiter. It resumes the coroutine on the thread that settles the future
// (through that thread's reaction queue), or at once when already settled; it installs no
// context itself (asyncctx::task reinstalls its own on every resume). The result is a copy of
// the value (for a move-only T, the value is moved out: such a value can be consumed once).
//
// Thread-safety: all members are const and may be called from any thread at once; copies of
// a future may be used on different threads. The value is read-only once settled.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/detail/future_state.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <coroutine>
#include <exception>
#include <functional>
#include <optional>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class T>
class future;

namespace detail {

template <class R>
struct is_future : std::false_type {};
template <class U>
struct is_future<future<U>> : std::true_type {};
template <class R>
inline constexpr bool is_future_v = is_future<std::remove_cvref_t<R>>::value;

// The type a callback result R settles a future with: U for future<U> (flattening), else R.
template <class R>
struct unwrap_future {
  using type = R;
};
template <class U>
struct unwrap_future<future<U>> {
  using type = U;
};
template <class R>
using unwrap_future_t = typename unwrap_future<std::remove_cvref_t<R>>::type;

// What an on-fulfilled callback of future<T> is called with.
template <class T>
using pass_t = decltype(std::declval<shared_state<T>&>().pass_value());

template <class T, class F>
struct fulfilled_result {
  using type = std::invoke_result_t<F, pass_t<T>>;
};
template <class F>
struct fulfilled_result<void, F> {
  using type = std::invoke_result_t<F>;
};
template <class T, class F>
using fulfilled_result_t = typename fulfilled_result<T, F>::type;

template <class T, class F>
concept fulfilled_callback =
    (std::is_void_v<T> && std::is_invocable_v<F>) || (!std::is_void_v<T> && std::is_invocable_v<F, pass_t<T>>);

template <class F>
concept rejected_callback = std::is_invocable_v<F, std::exception_ptr>;

// A callback result of type R can settle a future<U>.
template <class R, class U>
concept settles =
    std::is_same_v<std::remove_cvref_t<R>, future<U>> || (!is_future_v<R> && std::is_void_v<U> && std::is_void_v<R>) ||
    (!is_future_v<R> && !std::is_void_v<U> && std::is_convertible_v<R, U>);

struct future_access {
  template <class T>
  static future<T> adopt(shared_state<T>* owned) noexcept {
    return future<T>(owned);
  }
  template <class T>
  static shared_state<T>* state(const future<T>& f) noexcept {
    return f.state_;
  }
};

// Calls thunk() and settles `out` with its result, or returns the future it returned, for
// the caller to adopt.
template <class U, class Thunk>
future<U> settle_with(shared_state<U>& out, Thunk&& thunk) {
  using R = decltype(thunk());
  if constexpr (is_future_v<R>) {
    return thunk();
  } else if constexpr (std::is_void_v<R>) {
    thunk();
    out.resolve();
    return {};
  } else {
    out.resolve(thunk());
    return {};
  }
}

template <class T, class F>
decltype(auto) call_fulfilled(F& f, shared_state<T>& source) {
  if constexpr (std::is_void_v<T>) {
    return std::invoke(std::move(f));
  } else {
    return std::invoke(std::move(f), source.pass_value());
  }
}

// The absent handler of then(f) (rejections propagate) and catch_(g) (values pass through).
struct pass_through {};

template <class T, class U, class OnFulfilled, class OnRejected>
struct then_handler {
  [[no_unique_address]] OnFulfilled on_fulfilled;
  [[no_unique_address]] OnRejected on_rejected;

  future<U> operator()(shared_state<T>& source, shared_state<U>& out) {
    if (!source.rejected()) {
      if constexpr (std::is_same_v<OnFulfilled, pass_through>) {
        out.settle_like(source);
        return {};
      } else {
        return settle_with<U>(out, [&]() -> decltype(auto) { return call_fulfilled<T>(on_fulfilled, source); });
      }
    } else {
      if constexpr (std::is_same_v<OnRejected, pass_through>) {
        out.reject(source.error());
        return {};
      } else {
        return settle_with<U>(out,
                              [&]() -> decltype(auto) { return std::invoke(std::move(on_rejected), source.error()); });
      }
    }
  }
};

template <class T, class F>
struct finally_handler {
  F f;

  future<T> operator()(shared_state<T>& source, shared_state<T>& out) {
    if constexpr (is_future_v<std::invoke_result_t<F>>) {
      // Wait for the returned future; then settle like the source, unless it was rejected.
      auto done = std::invoke(std::move(f));
      source.add_ref();
      return done.then([keep = future_access::adopt<T>(&source)](auto&&...) { return keep; });
    } else {
      std::invoke(std::move(f));
      out.settle_like(source);
      return {};
    }
  }
};

// The state of the future a then / catch_ / finally returns, and the reaction (registered
// on the source) that runs the callback. One allocation per `then`.
// Invariant: while registered or queued, the reaction holds one reference to *this; it is
// released after the callback ran, or handed to the future the callback returned (adoption).
template <class T, class U, class Handler>
class then_state final : public shared_state<U>, public continuation {
 public:
  template <class H>
  then_state(const state_base& source, H&& handler)
      : shared_state<U>(source.id()), handler_(std::in_place, std::forward<H>(handler)), context_(capture_current()) {
    this->fire = &fire_reaction;
  }
  ~then_state() override { detail::release(context_); }

 private:
  static void fire_reaction(continuation* c, state_base* source) noexcept {
    auto* self = static_cast<then_state*>(c);
    if (source == nullptr) {
      self->release();  // the source went without settling: this future stays pending
      return;
    }
    self->run(static_cast<shared_state<T>&>(*source));
  }

  void run(shared_state<T>& source) noexcept {
    future<U> adopted;
    {
      context_swap context(std::exchange(context_, nullptr));
      callback_scope ids(this->id(), this->trigger());
      try {
        adopted = (*handler_)(source, *this);
      } catch (...) {
        this->reject(std::current_exception());
      }
      handler_.reset();  // the callback's captures die in its context
    }
    if (adopted.valid()) {
      adopt(std::move(adopted));
    } else {
      this->release();
    }
  }

  // Settles this like `f` when f settles; the reaction's reference moves to f's list.
  void adopt(future<U> f) noexcept {
    shared_state<U>* target = future_access::state(f);
    if (target == this) {
      this->reject(std::make_exception_ptr(std::logic_error("asyncctx::future: chaining cycle detected")));
      this->release();
      return;
    }
    target->mark_handled();
    this->fire = &fire_adopted;
    target->register_or_schedule(this);
  }

  static void fire_adopted(continuation* c, state_base* source) noexcept {
    auto* self = static_cast<then_state*>(c);
    if (source != nullptr) self->settle_like(static_cast<shared_state<U>&>(*source));
    self->release();
  }

  std::optional<Handler> handler_;
  frame* context_;  // owned until the reaction runs: the registration-time context
};

template <class T>
class future_awaiter : private continuation {
 public:
  explicit future_awaiter(future<T> f) noexcept : future_(std::move(f)) {}

  bool await_ready() const noexcept { return state()->ready(); }

  // Returns false (resume at once) when the future settled in the meantime. Once the
  // reaction is registered, another thread may resume (and destroy) the coroutine at any
  // moment: nothing here touches *this after try_register.
  bool await_suspend(std::coroutine_handle<> handle) noexcept {
    handle_ = handle;
    this->fire = &resume;
    shared_state<T>* s = state();
    s->mark_handled();
    return s->try_register(this);
  }

  T await_resume() {
    state()->mark_handled();
    return state()->take();
  }

 private:
  shared_state<T>* state() const noexcept { return future_access::state(future_); }

  static void resume(continuation* c, state_base* source) noexcept {
    // The awaiter holds a reference: the source cannot go unsettled while it waits.
    if (source != nullptr) static_cast<future_awaiter*>(c)->handle_.resume();
  }

  future<T> future_;
  std::coroutine_handle<> handle_;
};

}  // namespace detail

template <class T>
class future {
 public:
  using value_type = T;

  // An invalid future (valid() == false); only assignment and destruction are allowed.
  future() noexcept = default;
  future(const future& other) noexcept : state_(other.state_) {
    if (state_ != nullptr) state_->add_ref();
  }
  future(future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  future& operator=(future other) noexcept {
    std::swap(state_, other.state_);
    return *this;
  }
  ~future() {
    if (state_ != nullptr) state_->release();
  }

  bool valid() const noexcept { return state_ != nullptr; }
  // Settled (fulfilled or rejected).
  bool ready() const { return checked()->ready(); }
  // Blocks the calling thread until settled.
  void wait() const { checked()->wait(); }
  // Blocks until settled; returns the value (a copy, or the moved value of a move-only T) or
  // throws the rejection. Counts as handling a rejection.
  T get() const {
    detail::shared_state<T>* s = checked();
    s->wait();
    s->mark_handled();
    return s->take();
  }

  // on_fulfilled(value) (or () for future<void>) in the registration-time context. The
  // result settles the returned future: its value, a future<U> (adopted), or an exception.
  // A rejection of *this propagates to the returned future.
  template <class F>
    requires detail::fulfilled_callback<T, std::decay_t<F>>
  auto then(F&& on_fulfilled) const {
    using U = detail::unwrap_future_t<detail::fulfilled_result_t<T, std::decay_t<F>>>;
    using handler = detail::then_handler<T, U, std::decay_t<F>, detail::pass_through>;
    return chain<U>(handler{std::forward<F>(on_fulfilled), {}});
  }

  // Both callbacks; on_rejected(std::exception_ptr) must settle the same type.
  template <class F, class G>
    requires detail::fulfilled_callback<T, std::decay_t<F>> && detail::rejected_callback<std::decay_t<G>>
  auto then(F&& on_fulfilled, G&& on_rejected) const {
    using U = detail::unwrap_future_t<detail::fulfilled_result_t<T, std::decay_t<F>>>;
    static_assert(detail::settles<std::invoke_result_t<std::decay_t<G>, std::exception_ptr>, U>,
                  "on_rejected must return what on_fulfilled returns (or a future of it)");
    using handler = detail::then_handler<T, U, std::decay_t<F>, std::decay_t<G>>;
    return chain<U>(handler{std::forward<F>(on_fulfilled), std::forward<G>(on_rejected)});
  }

  // on_rejected(std::exception_ptr) in the registration-time context; its result (a T, or
  // a future<T>) fulfils the returned future. A value of *this passes through.
  template <class G>
    requires detail::rejected_callback<std::decay_t<G>>
  future<T> catch_(G&& on_rejected) const {
    static_assert(detail::settles<std::invoke_result_t<std::decay_t<G>, std::exception_ptr>, T>,
                  "catch_ handler must return the future's value type (or a future of it)");
    using handler = detail::then_handler<T, T, detail::pass_through, std::decay_t<G>>;
    return chain<T>(handler{{}, std::forward<G>(on_rejected)});
  }

  // f() in the registration-time context once settled either way; the returned future
  // settles like *this, after the future f returned (if any) is fulfilled. If f throws, or
  // the future it returned is rejected, the returned future is rejected with that instead.
  template <class F>
    requires std::is_invocable_v<std::decay_t<F>>
  future<T> finally(F&& f) const {
    using R = std::invoke_result_t<std::decay_t<F>>;
    static_assert(std::is_void_v<R> || detail::is_future_v<R>, "finally callback must return void or a future");
    return chain<T>(detail::finally_handler<T, std::decay_t<F>>{std::forward<F>(f)});
  }

  detail::future_awaiter<T> operator co_await() const& noexcept { return detail::future_awaiter<T>(*this); }
  detail::future_awaiter<T> operator co_await() && noexcept { return detail::future_awaiter<T>(std::move(*this)); }

  // The async id of the state (its "PROMISE" resource).
  async_id id() const { return checked()->id(); }

 private:
  friend struct detail::future_access;
  template <class>
  friend class future;

  explicit future(detail::shared_state<T>* owned) noexcept : state_(owned) {}

  detail::shared_state<T>* checked() const {
    if (state_ == nullptr) [[unlikely]]
      throw std::logic_error("asyncctx::future: no shared state (default-constructed or moved-from)");
    return state_;
  }

  template <class U, class Handler>
  future<U> chain(Handler&& handler) const {
    detail::shared_state<T>* source = checked();
    auto* reaction = new detail::then_state<T, U, std::decay_t<Handler>>(*source, std::forward<Handler>(handler));
    future<U> result(reaction);  // takes the initial reference
    reaction->add_ref();         // the reaction's own, released once it has run
    source->mark_handled();
    source->register_or_schedule(reaction);
    return result;
  }

  detail::shared_state<T>* state_ = nullptr;  // owned reference
};

// JavaScript's Promise.resolve(value): an already fulfilled future.
template <class T>
future<std::decay_t<T>> make_resolved_future(T&& value) {
  auto* s = new detail::shared_state<std::decay_t<T>>();
  s->resolve(std::forward<T>(value));
  return detail::future_access::adopt(s);
}
inline future<void> make_resolved_future() {
  auto* s = new detail::shared_state<void>();
  s->resolve();
  return detail::future_access::adopt(s);
}

// JavaScript's Promise.reject(error): an already rejected future (reported as unhandled if
// nothing observes it, in the context current now).
template <class T>
future<T> make_rejected_future(std::exception_ptr error) {
  auto* s = new detail::shared_state<T>();
  s->reject(std::move(error));
  return detail::future_access::adopt(s);
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
