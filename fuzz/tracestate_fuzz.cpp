// libFuzzer target for the W3C `tracestate` parser (asyncctx/trace/trace_state.hpp). The input
// is split at '\n' into several header fields. Checks: never crashes; a result respects the
// limits (at most 32 members, at most the length limit); parse -> serialize -> parse gives the
// same list; every key and value of the result passes the grammar checks.
//   tracestate_fuzz -max_total_time=10
#include <asyncctx/trace/trace_state.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using asyncctx::trace::trace_state;
  std::string_view input(reinterpret_cast<const char*>(data), size);
  std::vector<std::string_view> fields;
  while (true) {
    const std::size_t nl = input.find('\n');
    fields.push_back(input.substr(0, nl));
    if (nl == std::string_view::npos) break;
    input.remove_prefix(nl + 1);
  }
  const std::size_t limit = size % 2 == 0 ? trace_state::default_max_length : 4096;
  const auto parsed = trace_state::parse(fields, limit);
  if (!parsed) return 0;
  if (parsed->size() > trace_state::max_members || parsed->header().size() > limit) std::abort();
  const auto again = trace_state::parse(parsed->header(), limit);
  if (!again || !(*again == *parsed)) std::abort();
  std::string_view rest = parsed->header();
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view member = rest.substr(0, comma);
    const std::size_t eq = member.find('=');
    if (eq == std::string_view::npos || !trace_state::is_valid_key(member.substr(0, eq)) ||
        !trace_state::is_valid_value(member.substr(eq + 1)))
      std::abort();
    if (parsed->get(member.substr(0, eq)) != member.substr(eq + 1)) std::abort();
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return 0;
}
