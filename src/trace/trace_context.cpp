// W3C Trace Context Level 2: traceparent and tracestate.
#include <asyncctx/trace/trace_state.hpp>
#include <asyncctx/trace/traceparent.hpp>

#include <algorithm>
#include <array>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

constexpr bool is_ows(char c) noexcept { return c == ' ' || c == '\t'; }

std::string_view trim_ows(std::string_view s) noexcept {
  while (!s.empty() && is_ows(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_ows(s.back())) s.remove_suffix(1);
  return s;
}

bool parse_hex_byte(char hi, char lo, std::uint8_t& out) noexcept {
  const int h = detail::lower_hex_value(hi);
  const int l = detail::lower_hex_value(lo);
  if (h < 0 || l < 0) return false;
  out = static_cast<std::uint8_t>(h << 4 | l);
  return true;
}

// key characters after the first: lcalpha / DIGIT / "_" / "-" / "*" / "/"
constexpr bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '*' || c == '/';
}
constexpr bool is_lcalpha(char c) noexcept { return c >= 'a' && c <= 'z'; }
constexpr bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }
// nblk-chr = %x21-2B / %x2D-3C / %x3E-7E
constexpr bool is_nblk_chr(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != ',' && c != '=';
}

// One member's text is at most key (256) + '=' + value (256).
struct member {
  std::string_view key;
  std::string_view text;  // key=value, without surrounding whitespace
};

bool split_member(std::string_view m, member& out) noexcept {
  const std::size_t eq = m.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = m.substr(0, eq);
  const std::string_view value = m.substr(eq + 1);
  if (!trace_state::is_valid_key(key) || !trace_state::is_valid_value(value)) return false;
  out = member{key, m};
  return true;
}

// At most max_members members (more make the list invalid): no allocation while parsing.
class member_list {
 public:
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  bool full() const noexcept { return n_ == items_.size(); }
  void push_back(const member& m) noexcept { items_[n_++] = m; }
  void pop_back() noexcept { --n_; }
  const member& front() const noexcept { return items_[0]; }
  const member* begin() const noexcept { return items_.data(); }
  const member* end() const noexcept { return items_.data() + n_; }
  template <class P>
  void remove_if(P pred) noexcept {
    std::size_t out = 0;
    for (std::size_t i = 0; i < n_; ++i)
      if (!pred(items_[i])) items_[out++] = items_[i];
    n_ = out;
  }

 private:
  std::array<member, trace_state::max_members + 1> items_{};
  std::size_t n_ = 0;
};

std::size_t joined_length(const member_list& members) {
  std::size_t n = members.empty() ? 0 : members.size() - 1;
  for (const member& m : members) n += m.text.size();
  return n;
}

void truncate(member_list& members, std::size_t max_length) {
  if (joined_length(members) <= max_length) return;
  // Whole entries only: the large ones first, then from the end.
  members.remove_if([](const member& m) { return m.text.size() > trace_state::large_entry_length; });
  while (!members.empty() && joined_length(members) > max_length) members.pop_back();
}

std::string join(const member_list& members) {
  std::string s;
  s.reserve(joined_length(members));
  for (const member& m : members) {
    if (!s.empty()) s += ',';
    s.append(m.text);
  }
  return s;
}

// Splits the combined list into members (empty ones skipped). False when it is invalid.
bool split_list(std::span<const std::string_view> headers, member_list& out) {
  for (std::string_view header : headers) {
    while (true) {
      const std::size_t comma = header.find(',');
      const std::string_view raw = trim_ows(header.substr(0, comma));
      if (!raw.empty()) {
        member m;
        if (!split_member(raw, m)) return false;
        for (const member& seen : out)
          if (seen.key == m.key) return false;                     // keys are unique
        if (out.size() == trace_state::max_members) return false;  // a 33rd member
        out.push_back(m);
      }
      if (comma == std::string_view::npos) break;
      header.remove_prefix(comma + 1);
    }
  }
  return true;
}

}  // namespace

// --- traceparent -------------------------------------------------------------------------

std::optional<traceparent> parse_traceparent(std::string_view v) noexcept {
  v = trim_ows(v);
  if (v.size() < traceparent_size) return std::nullopt;
  std::uint8_t version = 0;
  if (!parse_hex_byte(v[0], v[1], version) || version == 0xff || v[2] != '-') return std::nullopt;
  if (version == 0) {
    if (v.size() != traceparent_size) return std::nullopt;
  } else if (v.size() > traceparent_size && v[traceparent_size] != '-') {
    return std::nullopt;  // a higher version: after the flags, the end or another field
  }
  traceparent tp;
  if (!detail::id_bytes<16>::parse_hex(v.substr(3, 32), tp.trace.bytes) || v[35] != '-') return std::nullopt;
  if (!detail::id_bytes<8>::parse_hex(v.substr(36, 16), tp.parent.bytes) || v[52] != '-') return std::nullopt;
  std::uint8_t flags = 0;
  if (!parse_hex_byte(v[53], v[54], flags)) return std::nullopt;
  if (!tp.trace.is_valid() || !tp.parent.is_valid()) return std::nullopt;
  tp.flags = flags & known_trace_flags;
  return tp;
}

void format_traceparent(const trace_id& trace, const span_id& parent, std::uint8_t flags, char* out) noexcept {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  trace.to_hex(out + 3);
  out[35] = '-';
  parent.to_hex(out + 36);
  out[52] = '-';
  flags &= known_trace_flags;
  out[53] = detail::hex_digits[flags >> 4];
  out[54] = detail::hex_digits[flags & 0x0f];
}

std::string format_traceparent(const trace_id& trace, const span_id& parent, std::uint8_t flags) {
  std::string s(traceparent_size, '0');
  format_traceparent(trace, parent, flags, s.data());
  return s;
}

// --- tracestate --------------------------------------------------------------------------

bool trace_state::is_valid_key(std::string_view key) noexcept {
  const std::size_t at = key.find('@');
  if (at == std::string_view::npos) {
    // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
    if (key.empty() || key.size() > 256 || !is_lcalpha(key[0])) return false;
    return std::all_of(key.begin() + 1, key.end(), is_key_char);
  }
  // multi-tenant-key = tenant-id "@" system-id
  const std::string_view tenant = key.substr(0, at);
  const std::string_view system = key.substr(at + 1);
  if (tenant.empty() || tenant.size() > 241 || !(is_lcalpha(tenant[0]) || is_digit(tenant[0]))) return false;
  if (system.empty() || system.size() > 14 || !is_lcalpha(system[0])) return false;
  return std::all_of(tenant.begin() + 1, tenant.end(), is_key_char) &&
         std::all_of(system.begin() + 1, system.end(), is_key_char);
}

bool trace_state::is_valid_value(std::string_view value) noexcept {
  // value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr
  if (value.empty() || value.size() > 256 || !is_nblk_chr(value.back())) return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return c == ' ' || is_nblk_chr(c); });
}

std::optional<trace_state> trace_state::parse(std::span<const std::string_view> headers, std::size_t max_length) {
  member_list members;
  if (!split_list(headers, members)) return std::nullopt;
  truncate(members, max_length);
  // The common case, a list that needs no rewriting, is kept as one string.
  if (headers.size() == 1 && trim_ows(headers[0]).size() == joined_length(members) &&
      (members.empty() || trim_ows(headers[0]).data() == members.front().text.data())) {
    return trace_state(std::string(trim_ows(headers[0])));
  }
  return trace_state(join(members));
}

std::size_t trace_state::size() const noexcept {
  if (header_.empty()) return 0;
  return static_cast<std::size_t>(std::count(header_.begin(), header_.end(), ',')) + 1;
}

std::optional<std::string_view> trace_state::get(std::string_view key) const noexcept {
  std::string_view rest = header_;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view m = rest.substr(0, comma);
    const std::size_t eq = m.find('=');
    if (m.substr(0, eq) == key) return m.substr(eq + 1);
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return std::nullopt;
}

bool trace_state::set(std::string_view key, std::string_view value, std::size_t max_length) {
  if (!is_valid_key(key) || !is_valid_value(value)) return false;
  std::string entry;
  entry.reserve(key.size() + 1 + value.size());
  entry.append(key).append("=").append(value);
  member_list members;
  members.push_back(member{std::string_view(entry).substr(0, key.size()), entry});
  std::string_view rest = header_;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view m = rest.substr(0, comma);
    const std::string_view k = m.substr(0, m.find('='));
    if (k != key && !members.full()) members.push_back(member{k, m});
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (members.size() > max_members) members.pop_back();
  truncate(members, max_length);
  header_ = join(members);
  return true;
}

bool trace_state::erase(std::string_view key) {
  member_list members;
  bool found = false;
  std::string_view rest = header_;
  while (!rest.empty()) {
    const std::size_t comma = rest.find(',');
    const std::string_view m = rest.substr(0, comma);
    const std::string_view k = m.substr(0, m.find('='));
    if (k == key) {
      found = true;
    } else {
      members.push_back(member{k, m});
    }
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  if (found) header_ = join(members);
  return found;
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
