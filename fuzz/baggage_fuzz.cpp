// libFuzzer target for the W3C `baggage` parser (asyncctx/trace/baggage.hpp). The input is
// split at '\n' into several header fields. Checks: never crashes; the result respects the
// limits (members, bytes); parse -> serialize -> parse gives the same entries, and serializing
// again gives the same text.
//   baggage_fuzz -max_total_time=10
#include <asyncctx/trace/baggage.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using asyncctx::trace::baggage;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t nl = input.find('\n');
    fields.push_back(input.substr(0, nl));
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  const baggage parsed = baggage::parse(fields);
  const std::string header = parsed.to_header();
  if (parsed.size() > baggage::max_members || header.size() > baggage::max_bytes) std::abort();
  const baggage again = baggage::parse(header);
  if (!(again == parsed)) std::abort();
  if (again.to_header() != header) std::abort();
  for (const auto& e : parsed.entries())
    if (!baggage::is_valid_key(e.key)) std::abort();
  return 0;
}
