// The two output formats of a record, each exactly one line whatever the bytes it carries.
//
// JSON lines: one object per line,
//   {"time":"2026-12-03T12:34:56.123456Z","level":"info","logger":"http","msg":"...",<fields>}
// time is RFC 3339 in UTC with microseconds; the fields follow in order, each typed (a
// string is a JSON string, an integer a JSON integer, a double a JSON number with a fraction
// or exponent, or the string "NaN" / "Infinity" / "-Infinity", a bool true/false).
//
// Text (logfmt): `time=... level=info logger=http msg="..." key=value ...`. A value is
// written bare when it is non-empty printable ASCII without space, '"', '=' or '\'; else it is
// quoted.
//
// Escaping, in both: '"' and '\' are backslash-escaped; \n \r \t as such; every other control
// character (C0, DEL, C1 including U+0085) and U+2028 / U+2029 as \u00XX / \u2028 / \u2029.
// Invalid UTF-8 becomes U+FFFD (\ufffd) per bad byte in JSON (a JSON string must be valid
// Unicode) and \xNN in text (lossless). Other valid UTF-8 is kept. So no message, logger name
// or value can end a line, start another or make it unparsable.
// Thread-safety: pure functions of their arguments.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/level.hpp>
#include <asyncctx/log/record.hpp>

#include <chrono>
#include <string_view>

#include <fmt/format.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

// Any fmt memory buffer (spdlog's memory_buf_t, fmt::memory_buffer, record_buffer).
using output_buffer = fmt::detail::buffer<char>;

enum class line_format { json, text };

// One line, '\n' included: `message` and the fields of `record`.
ASYNCCTX_API void write_json_line(output_buffer& out, std::chrono::system_clock::time_point time, level lvl,
                                  std::string_view logger, std::string_view message, const record_view& record);
ASYNCCTX_API void write_text_line(output_buffer& out, std::chrono::system_clock::time_point time, level lvl,
                                  std::string_view logger, std::string_view message, const record_view& record);
inline void write_line(line_format format, output_buffer& out, std::chrono::system_clock::time_point time, level lvl,
                       std::string_view logger, std::string_view message, const record_view& record) {
  if (format == line_format::json) {
    write_json_line(out, time, lvl, logger, message, record);
  } else {
    write_text_line(out, time, lvl, logger, message, record);
  }
}

// The pieces, for other layouts (the `%*` pattern flag, the Boost.Log formatter).
// The fields as `,"key":value` each (JSON members after others).
ASYNCCTX_API void write_json_fields(output_buffer& out, const record_view& record);
// The fields as `key=value` separated by single spaces (nothing when there are none).
ASYNCCTX_API void write_text_fields(output_buffer& out, const record_view& record);
// A JSON string literal, quotes included.
ASYNCCTX_API void write_json_string(output_buffer& out, std::string_view s);
// A logfmt value: bare when safe, else quoted and escaped.
ASYNCCTX_API void write_text_value(output_buffer& out, std::string_view s);
// RFC 3339, UTC, microseconds: 2026-12-03T12:34:56.123456Z
ASYNCCTX_API void write_rfc3339(output_buffer& out, std::chrono::system_clock::time_point time);

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
