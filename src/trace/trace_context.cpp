// W3C Trace Context Level 2: traceparent and tracestate.
#include <asyncctx/trace/trace_state.hpp>
#include <asyncctx/trace/traceparent.hpp>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// Character classes of the tracestate grammar, so that each character costs one lookup.
enum char_class : std::uint8_t {
  lcalpha_class = 1,  // a-z: may start a simple key or a system id
  digit_class = 2,    // 0-9: may start a tenant id
  key_class = 4,      // a key character after the first: lcalpha / DIGIT / "_" / "-" / "*" / "/"
  nblk_class = 8,     // nblk-chr = %x21-2B / %x2D-3C / %x3E-7E: may end a value
  value_class = 16,   // chr = %x20 / nblk-chr: may be inside a value
  ows_class = 32,     // OWS = SP / HTAB: trimmed around members
};
struct char_class_table {
  std::uint8_t of[256];
  constexpr char_class_table() : of() {
    for (int c = 0; c < 256; ++c) {
      std::uint8_t k = 0;
      if (c >= 'a' && c <= 'z') k |= lcalpha_class | key_class;
      if (c >= '0' && c <= '9') k |= digit_class | key_class;
      if (c == '_' || c == '-' || c == '*' || c == '/') k |= key_class;
      if (c >= 0x21 && c <= 0x7e && c != ',' && c != '=') k |= nblk_class | value_class;
      if (c == ' ') k |= value_class | ows_class;
      if (c == '\t') k |= ows_class;
      of[c] = k;
    }
  }
};
constexpr char_class_table char_classes{};
constexpr std::uint8_t class_of(char c) noexcept { return char_classes.of[static_cast<unsigned char>(c)]; }

constexpr std::size_t max_simple_key = 256;
constexpr std::size_t max_tenant_id = 241;
constexpr std::size_t max_system_id = 14;
constexpr std::size_t max_value = 256;

// Scans a key at p (before end): a simple key, or tenant@system. Returns the end of the key,
// or nullptr when the characters from p do not start a valid key.
const char* scan_key(const char* p, const char* end) noexcept {
  const char* const start = p;
  const std::uint8_t first = class_of(*p);
  if ((first & (lcalpha_class | digit_class)) == 0) return nullptr;
  ++p;
  while (p != end && (class_of(*p) & key_class) != 0) ++p;
  if (p == end || *p != '@') {
    // simple-key = lcalpha 0*255( lcalpha / DIGIT / "_" / "-"/ "*" / "/" )
    if ((first & lcalpha_class) == 0 || static_cast<std::size_t>(p - start) > max_simple_key) return nullptr;
    return p;
  }
  // multi-tenant-key = tenant-id "@" system-id; tenant-id = ( lcalpha / DIGIT ) 0*240( … );
  // system-id = lcalpha 0*13( … )
  if (static_cast<std::size_t>(p - start) > max_tenant_id) return nullptr;
  const char* const system = ++p;
  if (p == end || (class_of(*p) & lcalpha_class) == 0) return nullptr;
  ++p;
  while (p != end && (class_of(*p) & key_class) != 0) ++p;
  if (static_cast<std::size_t>(p - system) > max_system_id) return nullptr;
  return p;
}

// One member: its text `key=value` (without surrounding whitespace), of which the first
// key_size characters are the key. Trivially constructible, so a member_list costs nothing
// until it is filled. A member's text is at most 256 + 1 + 256 characters.
struct member {
  const char* data;
  std::uint16_t key_size;
  std::uint16_t size;
  std::string_view key() const noexcept { return {data, key_size}; }
  std::string_view text() const noexcept { return {data, size}; }
};

// At most max_members members (more make the list invalid): no allocation while parsing.
class member_list {
 public:
  std::size_t size() const noexcept { return n_; }
  bool empty() const noexcept { return n_ == 0; }
  bool full() const noexcept { return n_ == max_members_plus_one; }
  // The length of the members joined by ','.
  std::size_t joined_length() const noexcept { return n_ == 0 ? 0 : text_size_ + n_ - 1; }
  void push_back(const member& m) noexcept {
    items_[n_++] = m;
    text_size_ += m.size;
  }
  void pop_back() noexcept { text_size_ -= items_[--n_].size; }
  const member& front() const noexcept { return items_[0]; }
  const member& back() const noexcept { return items_[n_ - 1]; }
  const member* begin() const noexcept { return items_; }
  const member* end() const noexcept { return items_ + n_; }
  bool has_key(std::string_view key) const noexcept {
    for (std::size_t i = 0; i < n_; ++i)
      if (items_[i].key_size == key.size() && std::memcmp(items_[i].data, key.data(), key.size()) == 0) return true;
    return false;
  }
  template <class P>
  void remove_if(P pred) noexcept {
    std::size_t out = 0;
    text_size_ = 0;
    for (std::size_t i = 0; i < n_; ++i) {
      if (!pred(items_[i])) {
        text_size_ += items_[i].size;
        items_[out++] = items_[i];
      }
    }
    n_ = out;
  }

 private:
  static constexpr std::size_t max_members_plus_one = trace_state::max_members + 1;
  member items_[max_members_plus_one];  // the first n_ are set; the rest are never read
  std::size_t n_ = 0;
  std::size_t text_size_ = 0;  // the sum of the members' sizes
};

void truncate(member_list& members, std::size_t max_length) {
  if (members.joined_length() <= max_length) return;
  // Whole entries only: the large ones first, then from the end.
  members.remove_if([](const member& m) { return m.size > trace_state::large_entry_length; });
  while (!members.empty() && members.joined_length() > max_length) members.pop_back();
}

// True when every byte of `w` is an nblk-chr other than ',' (%x21-2B / %x2D-3C / %x3E-7E
// without %x2C): 8 characters at a time. Each test is the classic exact "some byte is below
// n" / "some byte is zero" word trick; a byte >= 0x80 is caught by `w & high` itself.
constexpr bool all_nblk_but_comma(std::uint64_t w) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101u;
  constexpr std::uint64_t high = ones * 0x80u;
  const std::uint64_t below = (w - ones * 0x21u) & ~w;           // some byte < 0x21
  const std::uint64_t above = (w + ones * (0x80u - 0x7fu)) | w;  // some byte >= 0x7f
  const std::uint64_t comma = w ^ (ones * ',');
  const std::uint64_t equals = w ^ (ones * '=');
  const std::uint64_t zero_comma = (comma - ones) & ~comma;
  const std::uint64_t zero_equals = (equals - ones) & ~equals;
  return ((below | above | zero_comma | zero_equals) & high) == 0;
}

// True when [p, end) holds nblk-chr only (and no ',').
bool all_nblk(const char* p, const char* end) noexcept {
  for (; end - p >= 8; p += 8) {
    std::uint64_t w;
    std::memcpy(&w, p, 8);
    if (!all_nblk_but_comma(w)) return false;
  }
  std::uint8_t all = nblk_class;
  for (; p != end; ++p) all &= class_of(*p);
  return all != 0;
}

// Scans one header field into `out`, in one pass: OWS around members and empty members are
// skipped, each member is checked against the grammar, keys must be unique and there may be
// at most max_members. False when the field makes the list invalid.
bool scan_list(std::string_view header, member_list& out) noexcept {
  const char* p = header.data();
  const char* const end = p + header.size();
  while (true) {
    while (p != end && (class_of(*p) & ows_class) != 0) ++p;
    if (p == end) return true;
    if (*p == ',') {  // an empty member
      ++p;
      continue;
    }
    const char* const start = p;
    const char* const key_end = scan_key(p, end);
    if (key_end == nullptr || key_end == end || *key_end != '=') return false;
    // The value runs to the next ',' (or the end), less trailing OWS. Every character must
    // be a value character or OWS, and a tab is OWS only in the trailing run. The common
    // value, nblk-chr only, is checked 8 characters at a time.
    const char* const value = key_end + 1;
    const auto* comma = static_cast<const char*>(std::memchr(value, ',', static_cast<std::size_t>(end - value)));
    p = comma != nullptr ? comma : end;
    const char* value_end = p;  // one past the last nblk-chr
    if (!all_nblk(value, p)) {
      value_end = value;
      for (const char* q = value; q != p; ++q) {
        const std::uint8_t k = class_of(*q);
        if ((k & (value_class | ows_class)) == 0) return false;
        if ((k & nblk_class) != 0) value_end = q + 1;
      }
      if (std::find(value, value_end, '\t') != value_end) return false;
    }
    const auto value_size = static_cast<std::size_t>(value_end - value);
    if (value_size == 0 || value_size > max_value) return false;
    const std::string_view key(start, static_cast<std::size_t>(key_end - start));
    if (out.has_key(key)) return false;                        // keys are unique
    if (out.size() == trace_state::max_members) return false;  // a 33rd member
    out.push_back(member{start, static_cast<std::uint16_t>(key.size()), static_cast<std::uint16_t>(value_end - start)});
    if (p == end) return true;
    ++p;  // the ','
  }
}

// Iterates over the members of a serialized (valid) list.
template <class F>
void for_each_member(std::string_view list, F&& f) {
  while (!list.empty()) {
    const std::size_t comma = list.find(',');
    const std::string_view m = list.substr(0, comma);
    f(member{m.data(), static_cast<std::uint16_t>(m.find('=')), static_cast<std::uint16_t>(m.size())});
    if (comma == std::string_view::npos) break;
    list.remove_prefix(comma + 1);
  }
}

}  // namespace

// --- hex ids -----------------------------------------------------------------------------

namespace detail {
namespace {
#if defined(__SSE2__)
// 16 lowercase hex digits to 8 bytes, with SSE2 (part of every x86-64).
bool decode_hex16(const char* p, std::uint8_t* out) noexcept {
  const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  // Signed byte compares: bytes >= 0x80 are negative, so they fall outside both ranges.
  const __m128i digit =
      _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('9' + 1)));
  const __m128i alpha =
      _mm_and_si128(_mm_cmpgt_epi8(x, _mm_set1_epi8('a' - 1)), _mm_cmplt_epi8(x, _mm_set1_epi8('f' + 1)));
  if (_mm_movemask_epi8(_mm_or_si128(digit, alpha)) != 0xffff) return false;
  // A digit's value is its low four bits; a letter's is its low four bits + 9.
  const __m128i nibble = _mm_add_epi8(_mm_and_si128(x, _mm_set1_epi8(0x0f)), _mm_and_si128(alpha, _mm_set1_epi8(9)));
  // Each 16-bit lane holds one byte's two digits, the first in its low half.
  const __m128i first = _mm_and_si128(nibble, _mm_set1_epi16(0x00ff));
  const __m128i second = _mm_srli_epi16(nibble, 8);
  const __m128i bytes = _mm_or_si128(_mm_slli_epi16(first, 4), second);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(out), _mm_packus_epi16(bytes, bytes));
  return true;
}

// 8 bytes to 16 lowercase hex digits, with SSE2.
void encode_hex8(const std::uint8_t* in, char* out) noexcept {
  const __m128i x = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(in));
  const __m128i low_nibble = _mm_set1_epi8(0x0f);
  const __m128i first = _mm_and_si128(_mm_srli_epi16(x, 4), low_nibble);
  const __m128i second = _mm_and_si128(x, low_nibble);
  const __m128i nibbles = _mm_unpacklo_epi8(first, second);  // first0 second0 first1 …
  const __m128i letters = _mm_and_si128(_mm_cmpgt_epi8(nibbles, _mm_set1_epi8(9)), _mm_set1_epi8('a' - '0' - 10));
  const __m128i digits = _mm_add_epi8(_mm_add_epi8(nibbles, _mm_set1_epi8('0')), letters);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(out), digits);
}
#endif
}  // namespace

void encode_lower_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept {
#if defined(__SSE2__)
  for (std::size_t i = 0; i < n; i += 8) encode_hex8(in + i, out + 2 * i);
#else
  encode_lower_hex_scalar(in, n, out);
#endif
}

bool decode_lower_hex(const char* hex, std::size_t n, std::uint8_t* out) noexcept {
#if defined(__SSE2__)
  for (std::size_t i = 0; i < n; i += 8)
    if (!decode_hex16(hex + 2 * i, out + i)) return false;
  return true;
#else
  return decode_lower_hex_scalar(hex, n, out);
#endif
}
}  // namespace detail

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

struct trace_state::builder {
  // A new list: the members joined by ','.
  static trace_state join(const member_list& members) {
    trace_state t;
    char* out = t.resize_for_overwrite(members.joined_length());
    bool first = true;
    for (const member& m : members) {
      if (!first) *out++ = ',';
      first = false;
      std::memcpy(out, m.data, m.size);
      out += m.size;
    }
    return t;
  }
};

char* trace_state::resize_for_overwrite(std::size_t n) {
  if (n <= inline_capacity) {
    release();
    size_ = static_cast<std::uint32_t>(n);
    return storage_.chars;
  }
  char* const block = new char[n];  // may throw: then this object is unchanged
  release();
  storage_.heap = block;
  size_ = static_cast<std::uint32_t>(n);
  return block;
}

void trace_state::assign(std::string_view list) {
  if (list.size() <= inline_capacity) {
    char* const old = on_heap() ? storage_.heap : nullptr;  // `list` may be a view of it
    std::memmove(storage_.chars, list.data(), list.size());
    delete[] old;
    size_ = static_cast<std::uint32_t>(list.size());
    return;
  }
  char* const block = new char[list.size()];
  std::memcpy(block, list.data(), list.size());
  release();
  storage_.heap = block;
  size_ = static_cast<std::uint32_t>(list.size());
}

bool trace_state::is_valid_key(std::string_view key) noexcept {
  return !key.empty() && scan_key(key.data(), key.data() + key.size()) == key.data() + key.size();
}

bool trace_state::is_valid_value(std::string_view value) noexcept {
  // value = 0*255(chr) nblk-chr ; chr = %x20 / nblk-chr
  if (value.empty() || value.size() > max_value || (class_of(value.back()) & nblk_class) == 0) return false;
  return std::all_of(value.begin(), value.end(), [](char c) { return (class_of(c) & value_class) != 0; });
}

std::optional<trace_state> trace_state::parse(std::span<const std::string_view> headers, std::size_t max_length) {
  member_list members;
  for (std::string_view header : headers)
    if (!scan_list(header, members)) return std::nullopt;
  truncate(members, max_length);
  // The common case, one field that needs no rewriting (no empty members, no whitespace
  // inside, nothing truncated), is copied as it is: the members then cover the field from
  // the first one's start to the last one's end exactly.
  if (headers.size() == 1 && !members.empty()) {
    const char* const first = members.front().data;
    const auto covered = static_cast<std::size_t>(members.back().data + members.back().size - first);
    if (covered == members.joined_length()) {
      trace_state t;
      t.assign(std::string_view(first, covered));
      return t;
    }
  }
  return builder::join(members);
}

std::size_t trace_state::size() const noexcept {
  const std::string_view list = header();
  if (list.empty()) return 0;
  return static_cast<std::size_t>(std::count(list.begin(), list.end(), ',')) + 1;
}

std::optional<std::string_view> trace_state::get(std::string_view key) const noexcept {
  std::optional<std::string_view> found;
  for_each_member(header(), [&](const member& m) {
    if (!found && m.key() == key) found = m.text().substr(m.key_size + 1u);
  });
  return found;
}

bool trace_state::set(std::string_view key, std::string_view value, std::size_t max_length) {
  if (!is_valid_key(key) || !is_valid_value(value)) return false;
  std::string entry;
  entry.reserve(key.size() + 1 + value.size());
  entry.append(key).append("=").append(value);
  member_list members;
  members.push_back(
      member{entry.data(), static_cast<std::uint16_t>(key.size()), static_cast<std::uint16_t>(entry.size())});
  for_each_member(header(), [&](const member& m) {
    if (m.key() != key && !members.full()) members.push_back(m);
  });
  if (members.size() > max_members) members.pop_back();
  truncate(members, max_length);
  *this = builder::join(members);
  return true;
}

bool trace_state::erase(std::string_view key) {
  member_list members;
  bool found = false;
  for_each_member(header(), [&](const member& m) {
    if (m.key() == key) {
      found = true;
    } else {
      members.push_back(m);
    }
  });
  if (found) *this = builder::join(members);
  return found;
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
