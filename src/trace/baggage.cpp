// W3C Baggage: parsing, serialization, and the current baggage variable.
#include <asyncctx/trace/baggage.hpp>

#include <algorithm>

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

// RFC 7230 tchar
constexpr bool is_tchar(char c) noexcept {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
      return true;
    default:
      return false;
  }
}

// baggage-octet = %x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E
constexpr bool is_baggage_octet(char c) noexcept {
  const auto u = static_cast<unsigned char>(c);
  return u >= 0x21 && u <= 0x7e && c != '"' && c != ',' && c != ';' && c != '\\';
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool percent_decode(std::string_view in, std::string& out) {
  out.clear();
  out.reserve(in.size());
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (!is_baggage_octet(c)) return false;
    if (c != '%') {
      out += c;
      continue;
    }
    if (i + 2 >= in.size()) return false;
    const int hi = hex_value(in[i + 1]);
    const int lo = hex_value(in[i + 2]);
    if (hi < 0 || lo < 0) return false;
    out += static_cast<char>(hi << 4 | lo);
    i += 2;
  }
  return true;
}

// '%' itself and every byte that is not a baggage-octet are encoded.
void percent_encode(std::string_view in, std::string& out) {
  constexpr char digits[] = "0123456789ABCDEF";
  for (char c : in) {
    if (is_baggage_octet(c) && c != '%') {
      out += c;
    } else {
      const auto u = static_cast<unsigned char>(c);
      out += '%';
      out += digits[u >> 4];
      out += digits[u & 0x0f];
    }
  }
}

std::size_t encoded_size(std::string_view in) noexcept {
  std::size_t n = 0;
  for (char c : in) n += (is_baggage_octet(c) && c != '%') ? 1 : 3;
  return n;
}

std::size_t member_size(const baggage::entry& e) noexcept {
  return e.key.size() + 1 + encoded_size(e.value) + (e.metadata.empty() ? 0 : 1 + e.metadata.size());
}

// property = key OWS "=" OWS value / key OWS; appended normalized to `out`.
bool parse_property(std::string_view p, std::string& out) {
  p = trim_ows(p);
  const std::size_t eq = p.find('=');
  const std::string_view key = trim_ows(p.substr(0, eq));
  if (!baggage::is_valid_key(key)) return false;
  if (!out.empty()) out += ';';
  out.append(key);
  if (eq == std::string_view::npos) return true;
  const std::string_view value = trim_ows(p.substr(eq + 1));
  if (!std::all_of(value.begin(), value.end(), is_baggage_octet)) return false;
  out += '=';
  out.append(value);
  return true;
}

// list-member = key OWS "=" OWS value *( OWS ";" OWS property )
bool parse_member(std::string_view m, baggage::entry& out) {
  std::size_t semi = m.find(';');
  const std::string_view kv = m.substr(0, semi);
  const std::size_t eq = kv.find('=');
  if (eq == std::string_view::npos) return false;
  const std::string_view key = trim_ows(kv.substr(0, eq));
  if (!baggage::is_valid_key(key)) return false;
  if (!percent_decode(trim_ows(kv.substr(eq + 1)), out.value)) return false;
  out.key.assign(key);
  out.metadata.clear();
  while (semi != std::string_view::npos) {
    m.remove_prefix(semi + 1);
    semi = m.find(';');
    if (!parse_property(m.substr(0, semi), out.metadata)) return false;
  }
  return true;
}

}  // namespace

bool baggage::is_valid_key(std::string_view key) noexcept {
  return !key.empty() && std::all_of(key.begin(), key.end(), is_tchar);
}

baggage baggage::parse(std::span<const std::string_view> headers) {
  baggage result;
  std::size_t bytes = 0;
  entry e;
  for (std::string_view header : headers) {
    while (true) {
      const std::size_t comma = header.find(',');
      const std::string_view raw = trim_ows(header.substr(0, comma));
      // Invalid members are removed (allowed by the specification); members that would
      // exceed the limits are dropped whole.
      if (!raw.empty() && parse_member(raw, e) && result.entries_.size() < max_members) {
        const std::size_t size = member_size(e) + (result.entries_.empty() ? 0 : 1);
        if (bytes + size <= max_bytes) {
          bytes += size;
          result.entries_.push_back(std::move(e));
          e = entry{};
        }
      }
      if (comma == std::string_view::npos) break;
      header.remove_prefix(comma + 1);
    }
  }
  return result;
}

std::string baggage::to_header() const {
  std::string s;
  std::size_t n = 0;
  for (const entry& e : entries_) n += member_size(e) + 1;
  s.reserve(n);
  for (const entry& e : entries_) {
    if (!s.empty()) s += ',';
    s.append(e.key);
    s += '=';
    percent_encode(e.value, s);
    if (!e.metadata.empty()) {
      s += ';';
      s.append(e.metadata);
    }
  }
  return s;
}

const std::string* baggage::get(std::string_view key) const noexcept {
  for (const entry& e : entries_)
    if (e.key == key) return &e.value;
  return nullptr;
}

bool baggage::set(std::string_view key, std::string_view value, std::string_view metadata) {
  if (!is_valid_key(key)) return false;
  std::string normalized;
  if (!metadata.empty()) {
    std::string_view rest = metadata;
    while (true) {
      const std::size_t semi = rest.find(';');
      if (!parse_property(rest.substr(0, semi), normalized)) return false;
      if (semi == std::string_view::npos) break;
      rest.remove_prefix(semi + 1);
    }
  }
  std::vector<entry> next;
  next.reserve(entries_.size() + 1);
  std::size_t bytes = 0;
  for (const entry& e : entries_) {
    if (e.key == key) continue;
    bytes += member_size(e) + (next.empty() ? 0 : 1);
    next.push_back(e);
  }
  entry added{std::string(key), std::string(value), std::move(normalized)};
  bytes += member_size(added) + (next.empty() ? 0 : 1);
  if (next.size() + 1 > max_members || bytes > max_bytes) return false;
  next.push_back(std::move(added));
  entries_ = std::move(next);
  return true;
}

bool baggage::erase(std::string_view key) {
  const auto before = entries_.size();
  entries_.erase(std::remove_if(entries_.begin(), entries_.end(), [&](const entry& e) { return e.key == key; }),
                 entries_.end());
  return entries_.size() != before;
}

namespace detail {
const variable<baggage>& baggage_variable() noexcept {
  static const variable<baggage> v{{.name = "asyncctx.trace.baggage"}};
  return v;
}
}  // namespace detail

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
