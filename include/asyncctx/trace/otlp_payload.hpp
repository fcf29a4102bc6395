// asyncctx::trace OTLP payloads: ended spans encoded as an OTLP ExportTraceServiceRequest, in
// either OTLP/HTTP encoding, and the back end's ExportTraceServiceResponse decoded.
//
//   std::string body = asyncctx::trace::encode_otlp_request(spans, otlp_protocol::http_protobuf);
//
// The protobuf encoder is written by hand against opentelemetry-proto's trace.proto,
// common.proto and resource.proto (field numbers in src/trace_http/otlp_protobuf.cpp); the JSON
// encoder follows the OTLP JSON mapping: lowerCamelCase field names, trace and span ids as
// lowercase hex, enums as integers, 64-bit integers (times, int attributes) as decimal strings,
// default values (an empty parent id, zero counts) left out.
//
// Spans are grouped into one ResourceSpans per distinct resource and one ScopeSpans per distinct
// instrumentation scope, in the order they first appear in the batch. Strings that are not
// valid UTF-8 (the wire formats allow nothing else) have each invalid byte replaced by U+FFFD.
// Span.flags carries the W3C trace flags plus the OTLP "has is_remote" bit (0x100) and, for a
// span whose parent came from another process, the "is_remote" bit (0x200); a link's flags are
// its W3C flags only (span_link does not know whether its context was remote).
//
// Thread-safety: pure functions.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/trace/span_data.hpp>

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

// The two OTLP/HTTP encodings (OTEL_EXPORTER_OTLP_PROTOCOL's http/protobuf and http/json).
enum class otlp_protocol : std::uint8_t { http_protobuf, http_json };

// "application/x-protobuf" or "application/json".
ASYNCCTX_API std::string_view otlp_content_type(otlp_protocol protocol) noexcept;

// The ExportTraceServiceRequest holding `spans`, in `protocol`'s encoding.
ASYNCCTX_API std::string encode_otlp_request(std::span<const span_data> spans, otlp_protocol protocol);

// ExportTraceServiceResponse.partial_success: spans the back end accepted only in part.
struct otlp_partial_success {
  std::int64_t rejected_spans = 0;
  std::string error_message;
  friend bool operator==(const otlp_partial_success&, const otlp_partial_success&) = default;
};

// What a successful (2xx) response body says. nullopt: the body is not an
// ExportTraceServiceResponse in that encoding (garbage). An empty body, or one without a
// partial_success, is a full success ({0, ""}). Strict, never throws, bounded work.
ASYNCCTX_API std::optional<otlp_partial_success> decode_otlp_response(std::string_view body,
                                                                      otlp_protocol protocol) noexcept;

// The message of a google.rpc.Status error body (field `message`), which OTLP back ends send
// with 4xx/5xx answers; empty when the body is not one. Never throws.
ASYNCCTX_API std::string decode_otlp_error_message(std::string_view body, otlp_protocol protocol) noexcept;

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
