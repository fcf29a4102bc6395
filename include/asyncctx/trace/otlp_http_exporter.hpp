// asyncctx::trace::otlp_http_exporter: a span_exporter that sends spans to any OpenTelemetry
// back end (a collector, Jaeger, ...) with OTLP/HTTP, as protobuf or JSON.
//
//   auto exporter = std::make_shared<asyncctx::trace::otlp_http_exporter>(
//       asyncctx::trace::otlp_http_exporter_options{.endpoint = "http://127.0.0.1:4318/v1/traces"});
//
// Each export_spans call POSTs one ExportTraceServiceRequest to the endpoint (the full URL,
// /v1/traces included) over a kept-alive HTTP/1.1 connection and returns when the back end has
// answered, or when the export timeout has passed, whichever is first:
//   * 2xx: success; a partial_success in the answer (spans the back end rejected, and its
//     message) is counted and reported through the library's error channel
//     (error_kind::trace_export). An answer that is not an ExportTraceServiceResponse is
//     reported too, and the export still counts as delivered;
//   * 429, 502, 503, 504, or no answer at all: retried per otlp_retry_policy (Retry-After
//     honoured), within the timeout;
//   * anything else (every other 4xx, 5xx): final.
// Spans that were not delivered are lost: counted in stats() and reported, one report per
// failed export. Memory is bounded whatever the back end does: the request body of the batch
// being exported, and an answer of at most max_response_bytes (a larger one is garbage).
//
// The exporter's own requests create no spans: each export runs with tracing suppressed in
// its context (trace::suppress), so an instrumented HTTP stack never traces its exporter.
//
// Thread-safety: export_spans is called by one thread at a time (the span_exporter contract);
// stats(), force_flush() and shutdown() may be called from any thread, also during an export.
// shutdown() interrupts an export in progress (its spans count as lost) and returns within
// its timeout; later exports fail at once.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/trace/otlp_payload.hpp>
#include <asyncctx/trace/otlp_retry.hpp>
#include <asyncctx/trace/span_data.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct otlp_http_exporter_options {
  std::string endpoint = "http://localhost:4318/v1/traces";  // full URL; http:// only (no TLS)
  otlp_protocol protocol = otlp_protocol::http_protobuf;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::chrono::milliseconds timeout{10000};                  // one export, retries included
  otlp_retry_policy retry;
  std::uint64_t max_response_bytes = std::uint64_t{64} * 1024;
};

// Counters since construction.
struct otlp_exporter_stats {
  std::uint64_t exported_spans = 0;  // accepted by the back end (partial rejections excluded)
  std::uint64_t rejected_spans = 0;  // reported rejected in a partial_success
  std::uint64_t lost_spans = 0;      // in exports that failed (or came after shutdown)
  std::uint64_t failed_exports = 0;
  std::uint64_t requests = 0;  // HTTP requests sent or attempted, retries included
  std::uint64_t retries = 0;
};

class otlp_http_exporter final : public span_exporter {
 public:
  // Throws std::invalid_argument when the endpoint is not an http:// URL (parse_http_url;
  // https needs TLS, which this build does not have) or a header is not a valid field.
  ASYNCCTX_API explicit otlp_http_exporter(otlp_http_exporter_options options = {});
  ASYNCCTX_API ~otlp_http_exporter() override;
  otlp_http_exporter(const otlp_http_exporter&) = delete;
  otlp_http_exporter& operator=(const otlp_http_exporter&) = delete;

  ASYNCCTX_API result export_spans(std::span<const span_data> batch) override;
  // Nothing is buffered here (each export is complete when it returns): true.
  ASYNCCTX_API bool force_flush(std::chrono::milliseconds timeout) override;
  ASYNCCTX_API bool shutdown(std::chrono::milliseconds timeout) override;

  ASYNCCTX_API otlp_exporter_stats stats() const noexcept;
  const otlp_http_exporter_options& options() const noexcept { return options_; }

 private:
  struct state;
  otlp_http_exporter_options options_;
  std::unique_ptr<state> state_;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
