// Suppressing tracing: a flag in the context. Inside trace::suppress(fn) (and in everything fn
// starts), start_span returns a non-recording span that carries the current span's context,
// so nothing is recorded and propagation passes through unchanged. Exporters run their own
// requests this way, so exporting never creates spans. Thread-safety: as for any variable.
#pragma once

#include <asyncctx/scope.hpp>
#include <asyncctx/variable.hpp>

#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

namespace detail {
const variable<bool>& suppress_variable() noexcept;
}  // namespace detail

// True inside suppress().
inline bool is_suppressed() noexcept {
  const bool* v = detail::suppress_variable().get();
  return v != nullptr && *v;
}
inline bool suppressed() noexcept { return is_suppressed(); }

// Calls f() with tracing suppressed for f and everything it starts.
template <class F>
decltype(auto) suppress(F&& f) {
  return detail::suppress_variable().run(true, std::forward<F>(f));
}
// Suppresses tracing until the returned scope ends.
[[nodiscard]] inline scope suppress_scope() { return detail::suppress_variable().set(true); }

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
