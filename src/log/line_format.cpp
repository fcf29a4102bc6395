// JSON lines and logfmt text (line_format.hpp): escaping that keeps every record on one line.
#include <asyncctx/log/line_format.hpp>

#include <cmath>
#include <cstdint>
#include <cstring>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {
namespace {

constexpr char hex_digits[] = "0123456789abcdef";

inline void put(output_buffer& out, std::string_view s) { out.append(s.data(), s.data() + s.size()); }
inline void put(output_buffer& out, char c) { out.push_back(c); }

void put_u_escape(output_buffer& out, std::uint32_t cp) {
  const char e[6] = {'\\',
                     'u',
                     hex_digits[(cp >> 12) & 0xf],
                     hex_digits[(cp >> 8) & 0xf],
                     hex_digits[(cp >> 4) & 0xf],
                     hex_digits[cp & 0xf]};
  out.append(e, e + 6);
}

// Length of the valid UTF-8 sequence starting at s[i] (2-4) and its code point, or 0 when the
// bytes there are not a valid sequence (overlong forms, surrogates and > U+10FFFF included).
std::size_t utf8_sequence(const unsigned char* s, std::size_t i, std::size_t n, std::uint32_t& cp) {
  const unsigned char c = s[i];
  auto cont = [&](std::size_t k, unsigned char lo, unsigned char hi) {
    return i + k < n && s[i + k] >= lo && s[i + k] <= hi;
  };
  if (c >= 0xC2 && c <= 0xDF) {
    if (!cont(1, 0x80, 0xBF)) return 0;
    cp = ((c & 0x1Fu) << 6) | (s[i + 1] & 0x3Fu);
    return 2;
  }
  if (c >= 0xE0 && c <= 0xEF) {
    const unsigned char lo = c == 0xE0 ? 0xA0 : 0x80;
    const unsigned char hi = c == 0xED ? 0x9F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF)) return 0;
    cp = ((c & 0x0Fu) << 12) | ((s[i + 1] & 0x3Fu) << 6) | (s[i + 2] & 0x3Fu);
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    const unsigned char lo = c == 0xF0 ? 0x90 : 0x80;
    const unsigned char hi = c == 0xF4 ? 0x8F : 0xBF;
    if (!cont(1, lo, hi) || !cont(2, 0x80, 0xBF) || !cont(3, 0x80, 0xBF)) return 0;
    cp = ((c & 0x07u) << 18) | ((s[i + 1] & 0x3Fu) << 12) | ((s[i + 2] & 0x3Fu) << 6) | (s[i + 3] & 0x3Fu);
    return 4;
  }
  return 0;
}

inline bool plain_ascii(unsigned char c) { return c >= 0x20 && c < 0x7f && c != '"' && c != '\\'; }

// The inside of a quoted string, escaped. `json`: invalid bytes as \ufffd; else as \xNN.
void put_escaped(output_buffer& out, std::string_view sv, bool json) {
  const auto* s = reinterpret_cast<const unsigned char*>(sv.data());
  const std::size_t n = sv.size();
  std::size_t i = 0;
  while (i < n) {
    std::size_t run = i;
    while (run < n && plain_ascii(s[run])) ++run;
    if (run != i) {
      out.append(sv.data() + i, sv.data() + run);
      i = run;
      if (i == n) break;
    }
    const unsigned char c = s[i];
    if (c < 0x80) {
      switch (c) {
        case '"':
          put(out, "\\\"");
          break;
        case '\\':
          put(out, "\\\\");
          break;
        case '\n':
          put(out, "\\n");
          break;
        case '\r':
          put(out, "\\r");
          break;
        case '\t':
          put(out, "\\t");
          break;
        default:
          put_u_escape(out, c);  // other C0 controls and DEL
      }
      ++i;
      continue;
    }
    std::uint32_t cp = 0;
    const std::size_t len = utf8_sequence(s, i, n, cp);
    if (len == 0) {
      if (json) {
        put(out, "\\ufffd");
      } else {
        const char e[4] = {'\\', 'x', hex_digits[c >> 4], hex_digits[c & 0xf]};
        out.append(e, e + 4);
      }
      ++i;
      continue;
    }
    if ((cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029) {
      put_u_escape(out, cp);  // C1 controls (U+0085 NEL among them) and the Unicode line/paragraph separators
    } else {
      out.append(sv.data() + i, sv.data() + i + len);
    }
    i += len;
  }
}

bool bare_text_value(std::string_view s) {
  if (s.empty()) return false;
  for (const char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '=' || c == '\\') return false;
  }
  return true;
}

void put_double(output_buffer& out, double v, bool json) {
  if (std::isnan(v)) {
    put(out, json ? "\"NaN\"" : "NaN");
    return;
  }
  if (std::isinf(v)) {
    put(out, v > 0 ? (json ? "\"Infinity\"" : "Infinity") : (json ? "\"-Infinity\"" : "-Infinity"));
    return;
  }
  const std::size_t start = out.size();
  fmt::format_to(fmt::appender(out), "{}", v);
  // Keep the type: a double always has a fraction or an exponent.
  for (std::size_t i = start; i < out.size(); ++i) {
    const char c = out.data()[i];
    if (c == '.' || c == 'e' || c == 'E') return;
  }
  put(out, ".0");
}

void put_value(output_buffer& out, const field_view& f, bool json) {
  switch (f.type) {
    case field_type::string:
      if (json) {
        write_json_string(out, f.string_value);
      } else {
        write_text_value(out, f.string_value);
      }
      return;
    case field_type::int64:
      fmt::format_to(fmt::appender(out), "{}", f.int_value);
      return;
    case field_type::uint64:
      fmt::format_to(fmt::appender(out), "{}", f.uint_value);
      return;
    case field_type::float64:
      put_double(out, f.double_value, json);
      return;
    case field_type::boolean:
      put(out, f.bool_value ? "true" : "false");
      return;
  }
}

void put2(char* p, unsigned v) {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

void write_json_string(output_buffer& out, std::string_view s) {
  put(out, '"');
  put_escaped(out, s, true);
  put(out, '"');
}

void write_text_value(output_buffer& out, std::string_view s) {
  if (bare_text_value(s)) {
    put(out, s);
    return;
  }
  put(out, '"');
  put_escaped(out, s, false);
  put(out, '"');
}

void write_rfc3339(output_buffer& out, std::chrono::system_clock::time_point time) {
  const std::int64_t us = std::chrono::duration_cast<std::chrono::microseconds>(time.time_since_epoch()).count();
  std::int64_t secs = us / 1000000;
  std::int64_t frac = us % 1000000;
  if (frac < 0) {
    frac += 1000000;
    --secs;
  }
  std::int64_t days = secs / 86400;
  std::int64_t sod = secs % 86400;
  if (sod < 0) {
    sod += 86400;
    --days;
  }
  // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
  const std::int64_t z = days + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  std::int64_t y = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  if (m <= 2) ++y;
  char b[27];
  const auto yy = static_cast<unsigned>(y < 0 ? 0 : y > 9999 ? 9999 : y);
  put2(b, yy / 100);
  put2(b + 2, yy % 100);
  b[4] = '-';
  put2(b + 5, m);
  b[7] = '-';
  put2(b + 8, d);
  b[10] = 'T';
  const auto s = static_cast<unsigned>(sod);
  put2(b + 11, s / 3600);
  b[13] = ':';
  put2(b + 14, s / 60 % 60);
  b[16] = ':';
  put2(b + 17, s % 60);
  b[19] = '.';
  auto f = static_cast<unsigned>(frac);
  for (int i = 25; i >= 20; --i) {
    b[i] = static_cast<char>('0' + f % 10);
    f /= 10;
  }
  b[26] = 'Z';
  if (y < 0 || y > 9999) {
    fmt::format_to(fmt::appender(out), "{:04}", y);  // outside RFC 3339's years: still one token
    out.append(b + 4, b + 27);
  } else {
    out.append(b, b + 27);
  }
}

void write_json_fields(output_buffer& out, const record_view& record) {
  for (const field_view& f : record.fields()) {
    put(out, ",\"");
    put(out, f.key);  // keys are [A-Za-z0-9_.-]: nothing to escape
    put(out, "\":");
    put_value(out, f, true);
  }
}

void write_text_fields(output_buffer& out, const record_view& record) {
  bool first = true;
  for (const field_view& f : record.fields()) {
    if (!first) put(out, ' ');
    first = false;
    put(out, f.key);
    put(out, '=');
    put_value(out, f, false);
  }
}

void write_json_line(output_buffer& out, std::chrono::system_clock::time_point time, level lvl, std::string_view logger,
                     std::string_view message, const record_view& record) {
  put(out, "{\"time\":\"");
  write_rfc3339(out, time);
  put(out, "\",\"level\":\"");
  put(out, to_string(lvl));
  put(out, "\",\"logger\":");
  write_json_string(out, logger);
  put(out, ",\"msg\":");
  write_json_string(out, message);
  write_json_fields(out, record);
  put(out, "}\n");
}

void write_text_line(output_buffer& out, std::chrono::system_clock::time_point time, level lvl, std::string_view logger,
                     std::string_view message, const record_view& record) {
  put(out, "time=");
  write_rfc3339(out, time);
  put(out, " level=");
  put(out, to_string(lvl));
  put(out, " logger=");
  write_text_value(out, logger);
  put(out, " msg=");
  write_text_value(out, message);
  if (!record.fields().empty()) {
    put(out, ' ');
    write_text_fields(out, record);
  }
  put(out, '\n');
}

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
