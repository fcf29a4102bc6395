// asyncctx::trace::batch_span_processor: queues sampled spans and exports them in batches
// from its own thread (OpenTelemetry's BatchSpanProcessor).
//
// on_end never blocks: it claims a slot of a bounded lock-free queue (one compare-and-swap)
// and moves the span in; when the queue is full the span is dropped and counted (dropped()),
// and the drops are reported through the library's error channel (error_kind::trace_export)
// by the export thread. The export thread, owned by the processor, exports when a full batch
// is waiting or when the scheduled delay has passed, at most max_export_batch_size spans per
// call, with tracing suppressed (so the exporter's own requests create no spans).
// force_flush exports everything queued before it; shutdown exports the rest, shuts the
// exporter down, and stops the thread; both return within their timeout (false when it ran
// out; a shutdown that times out leaves the thread to finish on its own).
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/span_processor.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

// The defaults are OpenTelemetry's (OTEL_BSP_*).
struct batch_span_processor_options {
  std::size_t max_queue_size = 2048;
  std::chrono::milliseconds schedule_delay = std::chrono::milliseconds(5000);
  std::size_t max_export_batch_size = 512;  // at most max_queue_size
  std::chrono::milliseconds export_timeout = std::chrono::milliseconds(30000);
};

class batch_span_processor final : public span_processor {
 public:
  explicit batch_span_processor(std::shared_ptr<span_exporter> exporter, batch_span_processor_options options = {});
  ~batch_span_processor() override;  // shutdown(export_timeout)
  batch_span_processor(const batch_span_processor&) = delete;
  batch_span_processor& operator=(const batch_span_processor&) = delete;

  void on_end(span_data&& span) override;
  bool force_flush(std::chrono::milliseconds timeout) override;
  bool shutdown(std::chrono::milliseconds timeout) override;

  // Spans dropped because the queue was full.
  std::uint64_t dropped() const noexcept;
  // Spans handed to the exporter with success / with failure.
  std::uint64_t exported() const noexcept;
  std::uint64_t failed() const noexcept;

  struct state;

 private:
  std::shared_ptr<state> state_;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
