// The active span is a context variable: it follows async code (tasks, promise reactions,
// pool jobs, Asio handlers) like every asyncctx variable, so a span started anywhere in the
// work a request causes takes the request's span as its parent, and after `co_await child()`
// the caller's span is current again. There are no detach tokens to pop out of order: a
// binding ends with its run or its scope.
//
//   with_span(s, fn)   runs fn with s active (the run form);
//   activate(s)        makes s active until the returned scope ends (the scoped form);
//   current_span()     a handle to the active span (empty when none);
//   current_trace_ids() the active span's ids, without allocation (for log fields).
// Thread-safety: all functions are safe from any thread; they read and bind the calling
// thread's current context.
#pragma once

#include <asyncctx/scope.hpp>
#include <asyncctx/trace/span.hpp>
#include <asyncctx/variable.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

namespace detail {
// The context variable holding the active span (one per process).
const variable<std::shared_ptr<span_state>>& active_span_variable() noexcept;
}  // namespace detail

// The active span of the current context, or an empty handle.
inline span_ref current_span() noexcept {
  if (const auto* s = detail::active_span_variable().get()) return span_ref(*s);
  return span_ref();
}

// The active span's context (invalid when there is none).
span_context current_span_context();

// Calls f() with `s` as the active span, for f and everything it starts.
template <class F>
decltype(auto) with_span(const span_ref& s, F&& f) {
  return detail::active_span_variable().run(s.state(), std::forward<F>(f));
}

// Makes `s` the active span until the returned scope ends (LIFO, like every scope).
[[nodiscard]] inline scope activate(const span_ref& s) { return detail::active_span_variable().set(s.state()); }

// The ids of the active span, as a log field provider needs them: fixed-size, no allocation.
struct trace_ids {
  bool valid = false;  // false: no active span (the other fields are zero)
  trace_id trace;
  span_id span;
  std::uint8_t flags = 0;

  // Lowercase hex, 32 and 16 characters; the flags as two hex digits.
  std::array<char, 32> trace_hex() const noexcept {
    std::array<char, 32> out{};
    trace.to_hex(out.data());
    return out;
  }
  std::array<char, 16> span_hex() const noexcept {
    std::array<char, 16> out{};
    span.to_hex(out.data());
    return out;
  }
  std::array<char, 2> flags_hex() const noexcept {
    return {trace::detail::hex_digits[flags >> 4], trace::detail::hex_digits[flags & 0x0f]};
  }
};
trace_ids current_trace_ids() noexcept;

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
