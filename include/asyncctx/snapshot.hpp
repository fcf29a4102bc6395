// asyncctx::snapshot: TC39 AsyncContext.Snapshot.
//
// A snapshot captures the whole current context (every variable at once) by taking one
// reference to the current frame: its cost does not depend on how many variables are bound.
// run() installs the captured context around a call and puts the caller's back afterwards,
// also when the call throws.
// Thread-safety: a snapshot is immutable; copies and run() may be used from any thread.
#pragma once

#include <asyncctx/detail/callable.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class snapshot {
 public:
  // Captures the current context.
  snapshot() noexcept : frame_(detail::capture_current()) {}

  snapshot(const snapshot& other) noexcept : frame_(other.frame_) { detail::retain(frame_); }
  snapshot(snapshot&& other) noexcept : frame_(std::exchange(other.frame_, nullptr)) {}
  snapshot& operator=(snapshot other) noexcept {
    std::swap(frame_, other.frame_);
    return *this;
  }
  ~snapshot() { detail::release(frame_); }

  // Calls f(args...) in the captured context and returns its result.
  template <class F, class... A>
  decltype(auto) run(F&& f, A&&... args) const {
    detail::retain(frame_);
    detail::context_swap guard(frame_);
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  template <class F, class... A>
  decltype(auto) operator()(F&& f, A&&... args) const {
    return run(std::forward<F>(f), std::forward<A>(args)...);
  }

  // f, bound to the context current now: every call of the result runs in it.
  // Throws std::invalid_argument if f is an empty std::function (or null pointer).
  template <class F>
  static auto wrap(F&& f);

  // True when both captured the same context (the same frame, not merely equal values).
  friend bool operator==(const snapshot& a, const snapshot& b) noexcept { return a.frame_ == b.frame_; }

 private:
  detail::frame* frame_;  // owned
};

namespace detail {

template <class F>
class snapshot_bound {
 public:
  template <class G>
  explicit snapshot_bound(G&& g) : f_(std::forward<G>(g)) {}

  template <class... A>
  decltype(auto) operator()(A&&... args) & {
    return snap_.run(f_, std::forward<A>(args)...);
  }
  template <class... A>
  decltype(auto) operator()(A&&... args) const& {
    return snap_.run(f_, std::forward<A>(args)...);
  }
  template <class... A>
  decltype(auto) operator()(A&&... args) && {
    return snap_.run(std::move(f_), std::forward<A>(args)...);
  }

  const asyncctx::snapshot& context() const noexcept { return snap_; }

 private:
  asyncctx::snapshot snap_;
  F f_;
};

}  // namespace detail

template <class F>
auto snapshot::wrap(F&& f) {
  detail::require_callable(f, "asyncctx::snapshot::wrap");
  return detail::snapshot_bound<std::decay_t<F>>(std::forward<F>(f));
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
