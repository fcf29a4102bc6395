// Wire-format primitives of the OTLP encoders (private to asyncctx::trace_http): UTF-8
// repair, a protobuf writer and reader, and a JSON writer. Nothing here allocates beyond the
// output string it appends to; nothing throws but std::bad_alloc.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <charconv>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace::wire {

// Appends `s` to `out`, each byte that does not start or continue a well-formed UTF-8 sequence
// (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF) replaced by U+FFFD. Both OTLP
// encodings require valid UTF-8 strings, and a Go back end (Jaeger) rejects a whole request
// with one bad string in it.
inline void append_utf8(std::string& out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const unsigned char c = p[i];
    if (c < 0x80) {
      std::size_t j = i + 1;
      while (j < n && p[j] < 0x80) ++j;
      out.append(s.data() + i, j - i);
      i = j;
      continue;
    }
    std::size_t len = 0;
    unsigned char lo = 0x80, hi = 0xbf;  // range of the second byte
    if (c >= 0xc2 && c <= 0xdf) {
      len = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
      len = 3;
      if (c == 0xe0) lo = 0xa0;
      if (c == 0xed) hi = 0x9f;
    } else if (c >= 0xf0 && c <= 0xf4) {
      len = 4;
      if (c == 0xf0) lo = 0x90;
      if (c == 0xf4) hi = 0x8f;
    }
    bool ok = len != 0 && i + len <= n && p[i + 1] >= lo && p[i + 1] <= hi;
    for (std::size_t k = 2; ok && k < len; ++k) ok = p[i + k] >= 0x80 && p[i + k] <= 0xbf;
    if (ok) {
      out.append(s.data() + i, len);
      i += len;
    } else {
      out.append("\xef\xbf\xbd");
      ++i;
    }
  }
}

// --- protobuf -------------------------------------------------------------------------------

enum class wire_type : std::uint8_t { varint = 0, fixed64 = 1, length_delimited = 2, fixed32 = 5 };

inline void put_varint(std::string& out, std::uint64_t v) {
  while (v >= 0x80) {
    out.push_back(static_cast<char>(static_cast<std::uint8_t>(v) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<char>(v));
}

inline std::size_t varint_size(std::uint64_t v) noexcept {
  std::size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes one protobuf message into a string. Nested messages are written in place: the length
// prefix is inserted once the body is known (end_message), so each byte is moved at most once
// per enclosing level and the output is the canonical (shortest) encoding.
class proto_writer {
 public:
  explicit proto_writer(std::string& out) : out_(out) {}

  void tag(std::uint32_t field, wire_type type) { put_varint(out_, (std::uint64_t{field} << 3) | std::uint8_t(type)); }

  // proto3: fields equal to their default are not written (the *_always forms are for oneof
  // members and repeated elements, which are written whatever their value).
  void uint64_field(std::uint32_t field, std::uint64_t v) {
    if (v == 0) return;
    tag(field, wire_type::varint);
    put_varint(out_, v);
  }
  void int64_field(std::uint32_t field, std::int64_t v) { uint64_field(field, static_cast<std::uint64_t>(v)); }
  void int64_always(std::uint32_t field, std::int64_t v) {
    tag(field, wire_type::varint);
    put_varint(out_, static_cast<std::uint64_t>(v));
  }
  void bool_always(std::uint32_t field, bool v) {
    tag(field, wire_type::varint);
    out_.push_back(v ? '\1' : '\0');
  }
  void fixed64_field(std::uint32_t field, std::uint64_t v) {
    if (v == 0) return;
    fixed64_always(field, v);
  }
  void fixed64_always(std::uint32_t field, std::uint64_t v) {
    tag(field, wire_type::fixed64);
    for (int i = 0; i < 8; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));  // little-endian
  }
  void fixed32_field(std::uint32_t field, std::uint32_t v) {
    if (v == 0) return;
    tag(field, wire_type::fixed32);
    for (int i = 0; i < 4; ++i) out_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void double_always(std::uint32_t field, double v) {
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    fixed64_always(field, bits);
  }
  void bytes_field(std::uint32_t field, const void* data, std::size_t size) {
    if (size == 0) return;
    tag(field, wire_type::length_delimited);
    put_varint(out_, size);
    out_.append(static_cast<const char*>(data), size);
  }
  // A string field, repaired to UTF-8 (append_utf8).
  void string_field(std::uint32_t field, std::string_view s) {
    if (s.empty()) return;
    string_always(field, s);
  }
  void string_always(std::uint32_t field, std::string_view s) {
    tag(field, wire_type::length_delimited);
    const std::size_t at = out_.size();
    append_utf8(out_, s);
    insert_length(at);
  }

  // A nested message: begin_message returns a mark to hand to end_message once its fields are
  // written.
  std::size_t begin_message(std::uint32_t field) {
    tag(field, wire_type::length_delimited);
    return out_.size();
  }
  void end_message(std::size_t mark) { insert_length(mark); }

 private:
  void insert_length(std::size_t at) {
    const std::size_t len = out_.size() - at;
    char prefix[10];
    std::size_t n = 0;
    std::uint64_t v = len;
    while (v >= 0x80) {
      prefix[n++] = static_cast<char>(static_cast<std::uint8_t>(v) | 0x80);
      v >>= 7;
    }
    prefix[n++] = static_cast<char>(v);
    out_.insert(at, prefix, n);
  }

  std::string& out_;
};

// Reads protobuf fields from a buffer. Every read checks bounds; a malformed buffer makes
// next() return false with failed() true.
class proto_reader {
 public:
  explicit proto_reader(std::string_view data) noexcept : p_(data.data()), end_(data.data() + data.size()) {}

  // Advances to the next field; false at the end or on malformed input.
  bool next() noexcept {
    if (p_ == end_ || failed_) return false;
    std::uint64_t key = 0;
    if (!varint(key)) return fail();
    field_ = static_cast<std::uint32_t>(key >> 3);
    const auto type = static_cast<std::uint8_t>(key & 7);
    if (field_ == 0 || (key >> 3) > 0x1fffffff) return fail();
    switch (type) {
      case 0:
        type_ = wire_type::varint;
        return varint(value_) || fail();
      case 1:
        type_ = wire_type::fixed64;
        return fixed(8) || fail();
      case 2: {
        type_ = wire_type::length_delimited;
        std::uint64_t len = 0;
        if (!varint(len) || len > static_cast<std::uint64_t>(end_ - p_)) return fail();
        bytes_ = std::string_view(p_, static_cast<std::size_t>(len));
        p_ += len;
        return true;
      }
      case 5:
        type_ = wire_type::fixed32;
        return fixed(4) || fail();
      default:  // groups (3, 4) are deprecated and not part of OTLP; 6, 7 do not exist
        return fail();
    }
  }

  std::uint32_t field() const noexcept { return field_; }
  wire_type type() const noexcept { return type_; }
  std::uint64_t value() const noexcept { return value_; }     // varint / fixed
  std::string_view bytes() const noexcept { return bytes_; }  // length-delimited
  bool failed() const noexcept { return failed_; }

 private:
  bool fail() noexcept {
    failed_ = true;
    return false;
  }
  bool varint(std::uint64_t& out) noexcept {
    std::uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) return false;
      const auto b = static_cast<std::uint8_t>(*p_++);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if ((b & 0x80) == 0) {
        out = v;
        return true;
      }
    }
    return false;  // more than 10 bytes
  }
  bool fixed(int n) noexcept {
    if (end_ - p_ < n) return false;
    std::uint64_t v = 0;
    for (int i = 0; i < n; ++i) v |= std::uint64_t{static_cast<std::uint8_t>(p_[i])} << (8 * i);
    p_ += n;
    value_ = v;
    return true;
  }

  const char* p_;
  const char* end_;
  std::uint32_t field_ = 0;
  wire_type type_ = wire_type::varint;
  std::uint64_t value_ = 0;
  std::string_view bytes_;
  bool failed_ = false;
};

// --- JSON -------------------------------------------------------------------------------------

// Appends `s` as a JSON string literal (quotes included): UTF-8 repaired, `"` `\` and control
// characters escaped, so no value can break out of its string.
inline void append_json_string(std::string& out, std::string_view s) {
  std::string utf8;
  utf8.reserve(s.size());
  append_utf8(utf8, s);
  out.push_back('"');
  for (const char ch : utf8) {
    const auto c = static_cast<unsigned char>(ch);
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      case '\b':
        out.append("\\b");
        break;
      case '\f':
        out.append("\\f");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          constexpr char hex[] = "0123456789abcdef";
          out.append("\\u00");
          out.push_back(hex[c >> 4]);
          out.push_back(hex[c & 0xf]);
        } else {
          out.push_back(ch);
        }
    }
  }
  out.push_back('"');
}

// A 64-bit integer as the OTLP JSON mapping wants it: a decimal string.
template <class Int>
void append_json_int_string(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.push_back('"');
  out.append(buf, r.ptr);
  out.push_back('"');
}

template <class Int>
void append_json_int(std::string& out, Int v) {
  char buf[24];
  const auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

// A double as the protobuf JSON mapping writes it: the shortest text that reads back the same
// value, or the strings "NaN", "Infinity", "-Infinity".
inline void append_json_double(std::string& out, double v) {
  if (std::isnan(v)) {
    out.append("\"NaN\"");
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
  } else {
    char buf[40];
    const auto r = std::to_chars(buf, buf + sizeof buf, v);
    out.append(buf, r.ptr);
  }
}

}  // namespace trace::wire
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
