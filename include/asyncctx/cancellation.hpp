// Deadlines and cancellation that travel with the context, with the rules of Go's
// context.Context:
//
//   asyncctx::with_timeout(2s, [&] {            // this request, and all it starts, has 2 s
//     auto rows = db.query(...);                // work checks asyncctx::cancelled(), or
//     asyncctx::throw_if_cancelled();           // throws asyncctx::cancelled
//   });
//   asyncctx::with_cancel([&](asyncctx::cancel_handle h) { start_work(); h.cancel(); });
//
// * with_cancel / with_deadline / with_timeout run fn in a child context with a cancellation
//   state of its own; fn may take the cancel_handle that cancels it. The child's effective
//   deadline is the earlier of its parent's and its own.
// * Cancelling a context cancels every context derived from it (children, grandchildren, and
//   the work they started: tasks, pool jobs, Asio operations), never its parent or siblings.
// * The cause is kept: cancel_errc::deadline_exceeded, cancel_errc::cancelled (by the caller),
//   or the error code passed to cancel_handle::cancel(cause); cause() reports it.
// * without_cancel keeps every value but drops the cancellation and the deadline, for work
//   that must outlive its request.
// * A deadline already passed (a zero or negative timeout) cancels at once, with cause
//   deadline_exceeded, before fn runs.
//
// Deadlines cost no timer each: one timer thread serves them all (detail/deadline_timer.hpp),
// and a context's entry is released as soon as it is cancelled or the last context holding it
// is gone. Returning from fn does not cancel: work fn started (a lazy task it returns, a job
// it posted) keeps the deadline and the cancellation. A context with no reference left has
// nothing left to cancel: its after_cancel callbacks never run then (after_cancel.hpp).
//
// Thread-safety: every function here may be called from any thread; a cancel_handle may be
// copied and used from any thread, also while the context it cancels is being used.
#pragma once

#include <asyncctx/cancelled.hpp>
#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <system_error>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {
struct cancel_handle_access;
}  // namespace detail

// Cancels one context (made by with_cancel / with_deadline / with_timeout), like Go's
// CancelFunc / CancelCauseFunc. An empty handle (default-constructed) does nothing.
class cancel_handle {
 public:
  cancel_handle() noexcept = default;

  // Cancels the context and every context derived from it, with cause cancel_errc::cancelled.
  // Only the first cancellation of a context counts; later ones change nothing.
  void cancel() const noexcept { cancel(make_error_code(cancel_errc::cancelled)); }
  // The same with `cause` (an empty code means cancel_errc::cancelled).
  void cancel(std::error_code cause) const noexcept {
    if (node_) detail::cancel(node_.get(), cause);
  }

  bool cancelled() const noexcept { return node_ && node_->cancelled(); }
  // Why the context was cancelled; empty while it is not.
  std::error_code cause() const noexcept { return node_ ? node_->cause() : std::error_code(); }
  // The context's effective deadline, if it has one.
  std::optional<std::chrono::steady_clock::time_point> deadline() const noexcept {
    if (!node_ || node_->deadline() == detail::no_deadline) return std::nullopt;
    return node_->deadline();
  }

  explicit operator bool() const noexcept { return static_cast<bool>(node_); }

 private:
  friend struct detail::cancel_handle_access;
  explicit cancel_handle(detail::cancel_ref node) noexcept : node_(std::move(node)) {}
  detail::cancel_ref node_;
};

namespace detail {

struct cancel_handle_access {
  static cancel_handle make(cancel_node* n) noexcept { return cancel_handle(cancel_ref::retained(n)); }
};

// The steady-clock deadline of a time point of any clock. Deadlines more than a century away
// count as none (they cannot pass, and saturating keeps the arithmetic in range).
template <class Clock, class Duration>
deadline_clock::time_point to_deadline(std::chrono::time_point<Clock, Duration> t, deadline_clock::time_point now) {
  using seconds_d = std::chrono::duration<double>;
  constexpr double century = 100.0 * 365 * 24 * 3600;
  if constexpr (std::is_same_v<Clock, deadline_clock>) {
    const double ahead = seconds_d(t - now).count();
    if (ahead >= century) return no_deadline;
    if (ahead <= -century) return now - std::chrono::hours(24 * 365 * 100);
    return std::chrono::time_point_cast<deadline_clock::duration>(t);
  } else {
    const double ahead = seconds_d(t - Clock::now()).count();
    if (ahead >= century) return no_deadline;
    if (ahead <= -century) return now - std::chrono::hours(24 * 365 * 100);
    return now + std::chrono::duration_cast<deadline_clock::duration>(seconds_d(ahead));
  }
}

// Runs fn (with the handle, when it takes one) in the current context + `node` (handed over).
template <class F>
decltype(auto) run_with_cancel_node(cancel_node* owned, F&& fn) {
  cancel_ref node(owned);
  if constexpr (std::is_invocable_v<F, cancel_handle>) {
    cancel_handle handle = cancel_handle_access::make(node.get());
    context_swap in_child(frame_with_cancel_node(current_frame(), std::move(node)));
    return std::invoke(std::forward<F>(fn), std::move(handle));
  } else {
    static_assert(std::is_invocable_v<F>, "the function must take a cancel_handle or nothing");
    context_swap in_child(frame_with_cancel_node(current_frame(), std::move(node)));
    return std::invoke(std::forward<F>(fn));
  }
}

}  // namespace detail

// Runs fn() or fn(cancel_handle) in a child context that can be cancelled through the handle.
template <class F>
decltype(auto) with_cancel(F&& fn) {
  return detail::run_with_cancel_node(
      detail::make_cancel_node(detail::current_cancel_node(), detail::no_deadline, false), std::forward<F>(fn));
}

// Runs fn() or fn(cancel_handle) in a child context whose deadline is the earlier of `deadline`
// and the current one. A deadline already passed cancels the child before fn runs.
template <class Clock, class Duration, class F>
decltype(auto) with_deadline(std::chrono::time_point<Clock, Duration> deadline, F&& fn) {
  const auto now = detail::deadline_clock::now();
  const auto d = detail::to_deadline(deadline, now);
  return detail::run_with_cancel_node(detail::make_cancel_node(detail::current_cancel_node(), d, d <= now),
                                      std::forward<F>(fn));
}

// with_deadline(now + timeout, fn). A zero or negative timeout cancels the child before fn runs.
template <class Rep, class Period, class F>
decltype(auto) with_timeout(std::chrono::duration<Rep, Period> timeout, F&& fn) {
  using seconds_d = std::chrono::duration<double>;
  constexpr double century = 100.0 * 365 * 24 * 3600;
  const double s = seconds_d(timeout).count();
  const auto now = detail::deadline_clock::now();
  detail::deadline_clock::time_point d = detail::no_deadline;
  if (s <= 0) {
    d = now;
  } else if (s < century) {
    d = now + std::chrono::duration_cast<detail::deadline_clock::duration>(timeout);
  }
  return detail::run_with_cancel_node(detail::make_cancel_node(detail::current_cancel_node(), d, s <= 0),
                                      std::forward<F>(fn));
}

// Runs fn() in the current context without its cancellation and deadline (every other value
// stays): work that must outlive its request, such as an audit write.
template <class F>
decltype(auto) without_cancel(F&& fn) {
  detail::frame* base = detail::current_frame();
  if (detail::frame_cancel_node(base) == nullptr) return std::invoke(std::forward<F>(fn));
  detail::context_swap outside(detail::frame_without(base, detail::cancellation_key));
  return std::invoke(std::forward<F>(fn));
}

// True when the current context has been cancelled (its deadline passed, it or an ancestor
// was cancelled). A lookup and one atomic load.
ASYNCCTX_ALWAYS_INLINE bool cancelled() noexcept {
  const detail::cancel_node* n = detail::current_cancel_node();
  return n != nullptr && n->cancelled();
}

// Why the current context was cancelled; an empty code while it is not.
inline std::error_code cause() noexcept {
  const detail::cancel_node* n = detail::current_cancel_node();
  return n != nullptr ? n->cause() : std::error_code();
}

// The current context's effective deadline, if it has one.
inline std::optional<std::chrono::steady_clock::time_point> current_deadline() noexcept {
  const detail::cancel_node* n = detail::current_cancel_node();
  if (n == nullptr || n->deadline() == detail::no_deadline) return std::nullopt;
  return n->deadline();
}

// Throws asyncctx::cancelled_error (with the cause) when the current context is cancelled.
inline void throw_if_cancelled() {
  const detail::cancel_node* n = detail::current_cancel_node();
  if (n != nullptr && n->cancelled()) [[unlikely]]
    throw cancelled_error(n->cause());
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
