// libFuzzer target for what the OTLP exporter reads from a back end (outside input): the
// ExportTraceServiceResponse / google.rpc.Status bodies, protobuf and JSON
// (asyncctx/trace/otlp_payload.hpp), and Retry-After values (otlp_retry.hpp). Never a crash;
// a decoded protobuf partial_success encodes back to a body that decodes the same; a
// Retry-After wait is never negative nor above a day.
//   otlp_response_fuzz -max_total_time=10
#include <asyncctx/trace/otlp_payload.hpp>
#include <asyncctx/trace/otlp_retry.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

namespace {

void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

// ExportTraceServiceResponse{partial_success{rejected_spans, error_message}}.
std::string encode(const asyncctx::trace::otlp_partial_success& p) {
  std::string inner;
  if (p.rejected_spans != 0) {
    inner.push_back('\x08');
    put_varint(inner, static_cast<std::uint64_t>(p.rejected_spans));
  }
  if (!p.error_message.empty()) {
    inner.push_back('\x12');
    put_varint(inner, p.error_message.size());
    inner += p.error_message;
  }
  std::string out = "\x0a";
  put_varint(out, inner.size());
  return out + inner;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace asyncctx::trace;
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  if (const auto p = decode_otlp_response(input, otlp_protocol::http_protobuf)) {
    const auto again = decode_otlp_response(encode(*p), otlp_protocol::http_protobuf);
    if (!again || *again != *p) std::abort();
  }
  static_cast<void>(decode_otlp_response(input, otlp_protocol::http_json));
  static_cast<void>(decode_otlp_error_message(input, otlp_protocol::http_protobuf));
  static_cast<void>(decode_otlp_error_message(input, otlp_protocol::http_json));

  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1700000000));
  if (const auto wait = parse_retry_after(input, now)) {
    if (wait->count() < 0 || *wait > std::chrono::hours(24)) std::abort();
  }
  return 0;
}
