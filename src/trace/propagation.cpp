#include <asyncctx/trace/propagation.hpp>

#include <algorithm>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {
bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}
}  // namespace

extracted_context extract_fields(std::span<const std::string_view> traceparent,
                                 std::span<const std::string_view> tracestate,
                                 std::span<const std::string_view> baggage_fields, unsigned formats) {
  extracted_context x;
  // Exactly one traceparent: a duplicated one is ambiguous, so it is ignored.
  if ((formats & trace_context_format) != 0 && traceparent.size() == 1) {
    if (const std::optional<struct traceparent> tp = parse_traceparent(traceparent[0])) {
      span_context c;
      c.trace = tp->trace;
      c.span = tp->parent;
      c.flags = tp->flags;
      c.remote = true;
      // tracestate only with a valid traceparent; an invalid one is dropped on its own.
      if (!tracestate.empty()) {
        if (std::optional<trace_state> ts = trace_state::parse(tracestate)) c.state = std::move(*ts);
      }
      x.parent = std::move(c);
    }
  }
  if ((formats & baggage_format) != 0 && !baggage_fields.empty()) x.baggage = baggage::parse(baggage_fields);
  return x;
}

std::vector<std::string_view> header_carrier::get_all(std::string_view name) const {
  std::vector<std::string_view> out;
  for (const auto& [k, v] : fields)
    if (iequals(k, name)) out.emplace_back(v);
  return out;
}

void header_carrier::set(std::string_view name, std::string_view value) {
  fields.erase(std::remove_if(fields.begin(), fields.end(), [&](const auto& f) { return iequals(f.first, name); }),
               fields.end());
  fields.emplace_back(name, value);
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
