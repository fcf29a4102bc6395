// Trace and span ids: random, non-zero, unique within the process.
//
// Each id is a 64-bit counter value (one atomic increment, no lock) put through a bijective
// mixer keyed by 128 bits from std::random_device taken once per process: distinct calls give
// distinct ids, and the ids are unpredictable without the key. The rightmost 7 bytes of a
// trace id are uniformly distributed, as the W3C random flag (0x02) promises.
// Thread-safety: safe from any thread.
#pragma once

#include <asyncctx/trace/span_data.hpp>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

trace_id generate_trace_id() noexcept;
span_id generate_span_id() noexcept;

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
