// asyncctx::promise<T>: the settling side of a JavaScript-style promise (the resolve /
// reject functions a JavaScript Promise executor receives).
//
// A promise settles its shared state once: the first resolve/reject wins and returns true;
// every later call is ignored and returns false (JavaScript ignores them silently).
// resolve(future<T>) locks the promise in at once and settles it like that future when it
// settles (JavaScript's resolve(thenable)). reject() captures the current context, in which
// an unhandled rejection will be reported (error_handler.hpp).
//
// A promise destroyed unsettled rejects its future with asyncctx::broken_promise, so no one
// waits forever; when nobody holds a future (nor a reaction) of it, there is nobody to tell
// and nothing is reported.
//
// Context: settling does not pass the settler's context anywhere: each reaction runs in the
// context of its own registration (future.hpp). The reactions run on the settling thread,
// inside resolve()/reject().
// Thread-safety: resolve/reject/get_future may be called from any thread, also at once on the
// same promise (one settle wins). Moving or destroying a promise must not race with other
// uses of that promise object.
#pragma once

#include <asyncctx/broken_promise.hpp>
#include <asyncctx/detail/future_state.hpp>
#include <asyncctx/future.hpp>

#include <exception>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class T>
class promise {
 public:
  using value_type = T;

  // A new pending state: a "PROMISE" resource whose trigger is execution_async_id().
  promise() : state_(new detail::shared_state<T>()) {}
  promise(promise&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  promise& operator=(promise&& other) noexcept {
    if (this != &other) {
      abandon();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  promise(const promise&) = delete;
  promise& operator=(const promise&) = delete;
  ~promise() { abandon(); }

  // A future of this promise; may be called any number of times.
  future<T> get_future() const {
    detail::shared_state<T>* s = checked();
    s->add_ref();
    return detail::future_access::adopt(s);
  }

  // Fulfils with T(args...) (no argument for promise<void>). False if already settled.
  template <class... A>
    requires(std::is_void_v<T> ? sizeof...(A) == 0 : std::is_constructible_v<T, A...>)
  bool resolve(A&&... args) const {
    return checked()->resolve(std::forward<A>(args)...);
  }

  // Settles like `f` once f settles; the promise counts as settled from now on. False (and
  // f ignored) if already settled. Resolving with one's own future rejects with
  // std::logic_error (JavaScript's chaining-cycle TypeError).
  bool resolve(future<T> f) const {
    detail::shared_state<T>* s = checked();
    detail::shared_state<T>* target = detail::future_access::state(f);
    if (target == nullptr) throw std::invalid_argument("asyncctx::promise::resolve: invalid future");
    if (!s->claim()) return false;
    if (target == s) {
      s->publish_error(std::make_exception_ptr(std::logic_error("asyncctx::promise: resolved with its own future")));
      return true;
    }
    target->mark_handled();
    s->add_ref();
    target->register_or_schedule(new adopt_reaction(s));
    return true;
  }

  // Rejects with `error` (a null exception_ptr rejects with std::invalid_argument). False if
  // already settled.
  bool reject(std::exception_ptr error) const { return checked()->reject(std::move(error)); }
  template <class E>
    requires(!std::is_same_v<std::decay_t<E>, std::exception_ptr>)
  bool reject(E&& error) const {
    return reject(std::make_exception_ptr(std::forward<E>(error)));
  }

  // True once resolve/reject succeeded (including a resolve(future) still waiting).
  bool settled() const noexcept { return state_ == nullptr || !state_->claim_available(); }

  async_id id() const { return checked()->id(); }

 private:
  // Settles a claimed state like the future it was resolved with.
  struct adopt_reaction final : detail::continuation {
    explicit adopt_reaction(detail::shared_state<T>* owned) noexcept : target(owned) { fire = &run; }
    static void run(detail::continuation* c, detail::state_base* source) noexcept {
      auto* self = static_cast<adopt_reaction*>(c);
      if (source != nullptr) {
        self->target->settle_claimed_like(static_cast<detail::shared_state<T>&>(*source));
      } else {
        self->target->publish_error(std::make_exception_ptr(broken_promise()));
      }
      self->target->release();
      delete self;
    }
    detail::shared_state<T>* target;  // owned reference
  };

  detail::shared_state<T>* checked() const {
    if (state_ == nullptr) [[unlikely]]
      throw std::logic_error("asyncctx::promise: moved-from");
    return state_;
  }

  void abandon() noexcept {
    if (state_ == nullptr) return;
    if (!state_->sole_owner()) state_->reject(std::make_exception_ptr(broken_promise()));
    std::exchange(state_, nullptr)->release();
  }

  detail::shared_state<T>* state_;  // owned reference; null once moved from
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
