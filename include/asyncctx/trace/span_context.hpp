// asyncctx::trace::span_context: what identifies a span to other spans and other processes:
// trace id, span id, W3C trace flags, tracestate, and whether it came from another process.
//
// A span context is valid when both ids are non-zero. Plain value type.
#pragma once

#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/trace_state.hpp>

#include <cstdint>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct span_context {
  trace_id trace;
  span_id span;
  std::uint8_t flags = 0;  // trace_flag_sampled | trace_flag_random
  trace_state state;
  bool remote = false;  // extracted from a carrier (the parent lives in another process)

  bool is_valid() const noexcept { return trace.is_valid() && span.is_valid(); }
  bool sampled() const noexcept { return (flags & trace_flag_sampled) != 0; }
  friend bool operator==(const span_context&, const span_context&) = default;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
