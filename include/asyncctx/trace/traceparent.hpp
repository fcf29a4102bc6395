// The W3C Trace Context `traceparent` header: parsing and formatting.
//
// parse_traceparent follows Trace Context Level 2: surrounding spaces and tabs are ignored;
// the version is two lowercase hex digits and `ff` is invalid; version 00 is exactly
// 00-<32 hex>-<16 hex>-<2 hex>; a higher version is parsed leniently (at least 55
// characters, the same first four fields, and after the flags either the end or a '-'),
// and whatever follows is ignored; all-zero trace or parent ids are invalid; uppercase hex is
// invalid. Of the flags, sampled (0x01) and random (0x02) are kept and the others set to zero,
// as the specification requires of vendors. Invalid input gives nullopt; nothing throws.
#pragma once

#include <asyncctx/trace/span_data.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct traceparent {
  trace_id trace;
  span_id parent;
  std::uint8_t flags = 0;
  friend bool operator==(const traceparent&, const traceparent&) = default;
};

// The flags this implementation understands (and so propagates).
inline constexpr std::uint8_t known_trace_flags = trace_flag_sampled | trace_flag_random;

// Length of a version-00 traceparent.
inline constexpr std::size_t traceparent_size = 55;

std::optional<traceparent> parse_traceparent(std::string_view value) noexcept;

// Writes the version-00 header (exactly traceparent_size characters, no terminator); flags
// outside known_trace_flags are cleared.
void format_traceparent(const trace_id& trace, const span_id& parent, std::uint8_t flags, char* out) noexcept;
std::string format_traceparent(const trace_id& trace, const span_id& parent, std::uint8_t flags);

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
