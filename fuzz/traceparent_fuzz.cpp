// libFuzzer target for the W3C `traceparent` parser (asyncctx/trace/traceparent.hpp): never
// crashes, accepts only what has the version-00 shape at its start, and parse -> format ->
// parse gives the same result.
//   traceparent_fuzz -max_total_time=10
#include <asyncctx/trace/traceparent.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  namespace trace = asyncctx::trace;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto parsed = trace::parse_traceparent(input);
  if (!parsed) return 0;
  if (!parsed->trace.is_valid() || !parsed->parent.is_valid()) std::abort();
  if ((parsed->flags & ~trace::known_trace_flags) != 0) std::abort();
  char out[trace::traceparent_size];
  trace::format_traceparent(parsed->trace, parsed->parent, parsed->flags, out);
  const auto again = trace::parse_traceparent(std::string_view(out, sizeof out));
  if (!again || !(*again == *parsed)) std::abort();
  return 0;
}
