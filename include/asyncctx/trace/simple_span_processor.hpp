// asyncctx::trace::simple_span_processor: exports each sampled span as it ends, on the thread
// that ends it (OpenTelemetry's SimpleSpanProcessor). Meant for tests and debugging: the
// ending thread waits for the export. Exports run with tracing suppressed, one at a time.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/span_processor.hpp>

#include <atomic>
#include <memory>
#include <mutex>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

class simple_span_processor final : public span_processor {
 public:
  explicit simple_span_processor(std::shared_ptr<span_exporter> exporter);
  ~simple_span_processor() override;

  void on_end(span_data&& span) override;
  bool force_flush(std::chrono::milliseconds timeout) override;
  bool shutdown(std::chrono::milliseconds timeout) override;

 private:
  std::shared_ptr<span_exporter> exporter_;
  std::mutex mutex_;  // one export at a time
  std::atomic<bool> shut_down_{false};
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
