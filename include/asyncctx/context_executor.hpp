// asyncctx::context_executor<Ex>: wraps any executor that has execute(f) or post(f) so that
// each function runs in the context current when it was submitted, for executors asyncctx
// knows nothing about (a GUI loop, a third-party pool, a hand-written queue).
//
// The wrapper forwards to the inner executor's own execute/post (whichever it has) with the
// function bound to a snapshot: the inner executor needs no change.
// Thread-safety: as the inner executor's.
#pragma once

#include <asyncctx/detail/execute.hpp>
#include <asyncctx/snapshot.hpp>

#include <functional>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class Ex>
class context_executor {
  static_assert(detail::has_execute<Ex> || detail::has_post<Ex>,
                "context_executor needs an executor with execute(f) or post(f)");

 public:
  using inner_executor_type = Ex;

  explicit context_executor(Ex inner) noexcept(std::is_nothrow_move_constructible_v<Ex>) : inner_(std::move(inner)) {}

  // Runs f() through the inner executor, in the caller's current context.
  template <class F>
  void execute(F&& f) const {
    if constexpr (detail::has_execute<Ex>) {
      inner_.execute(snapshot::wrap(std::forward<F>(f)));
    } else {
      inner_.post(snapshot::wrap(std::forward<F>(f)));
    }
  }
  template <class F>
  void post(F&& f) const {
    execute(std::forward<F>(f));
  }

  Ex& inner() noexcept { return inner_; }
  const Ex& inner() const noexcept { return inner_; }

  friend bool operator==(const context_executor& a, const context_executor& b)
    requires std::equality_comparable<Ex>
  {
    return a.inner_ == b.inner_;
  }

 private:
  mutable Ex inner_;
};

template <class Ex>
context_executor(Ex) -> context_executor<Ex>;

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
