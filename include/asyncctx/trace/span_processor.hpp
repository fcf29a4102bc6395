// asyncctx::trace::span_processor: what a tracer provider hands spans to when they start and
// end (OpenTelemetry's SpanProcessor). The built-in ones are simple_span_processor and
// batch_span_processor; both pass sampled spans to a span_exporter.
//
// on_end receives every recording span exactly once, on the thread that ended it, and must not
// block that thread for long (the batch processor never does). After shutdown, on_end drops
// what it gets. Thread-safety: every member may be called from any thread at once.
#pragma once

#include <asyncctx/trace/span_context.hpp>
#include <asyncctx/trace/span_data.hpp>

#include <chrono>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

class span_processor {
 public:
  virtual ~span_processor() = default;

  // A recording span started (its data cannot be changed from here).
  virtual void on_start(const span_context& /*span*/, const span_context& /*parent*/) {}
  virtual void on_end(span_data&& span) = 0;
  virtual bool force_flush(std::chrono::milliseconds timeout) = 0;
  virtual bool shutdown(std::chrono::milliseconds timeout) = 0;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
