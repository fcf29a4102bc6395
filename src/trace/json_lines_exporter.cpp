#include <asyncctx/trace/json_lines_exporter.hpp>

#include <cmath>
#include <cstdio>
#include <ostream>
#include <stdexcept>
#include <type_traits>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

// Length of the valid UTF-8 sequence at s[i], or 0.
std::size_t utf8_sequence(std::string_view s, std::size_t i) noexcept {
  const auto b0 = static_cast<unsigned char>(s[i]);
  std::size_t n = 0;
  std::uint32_t cp = 0;
  if (b0 >= 0xc2 && b0 <= 0xdf) {
    n = 2;
    cp = b0 & 0x1f;
  } else if (b0 >= 0xe0 && b0 <= 0xef) {
    n = 3;
    cp = b0 & 0x0f;
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    n = 4;
    cp = b0 & 0x07;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    const auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xc0) != 0x80) return 0;
    cp = cp << 6 | (b & 0x3f);
  }
  if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return n;
}

void put_string(std::string& out, std::string_view s) {
  constexpr char digits[] = "0123456789abcdef";
  out += '"';
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      const std::size_t n = utf8_sequence(s, i);
      if (n == 0) {
        out += "\\ufffd";
        ++i;
      } else {
        out.append(s.substr(i, n));
        i += n;
      }
      continue;
    }
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\u00";
          out += digits[c >> 4];
          out += digits[c & 0x0f];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
}

void put_double(std::string& out, double d) {
  if (!std::isfinite(d)) {
    out += "null";
    return;
  }
  char buf[32];
  const int n = std::snprintf(buf, sizeof buf, "%.17g", d);
  out.append(buf, static_cast<std::size_t>(n));
}

void put_value(std::string& out, const attribute_value& v) {
  std::visit(
      [&out](const auto& x) {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::string>) {
          put_string(out, x);
        } else if constexpr (std::is_same_v<T, bool>) {
          out += x ? "true" : "false";
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          out += std::to_string(x);
        } else if constexpr (std::is_same_v<T, double>) {
          put_double(out, x);
        } else {
          out += '[';
          bool first = true;
          for (const auto& e : x) {
            if (!first) out += ',';
            first = false;
            using E = std::decay_t<decltype(e)>;
            if constexpr (std::is_same_v<E, std::string>) {
              put_string(out, e);
            } else if constexpr (std::is_same_v<E, double>) {
              put_double(out, e);
            } else if constexpr (std::is_same_v<E, std::int64_t>) {
              out += std::to_string(e);
            } else {
              out += static_cast<bool>(e) ? "true" : "false";
            }
          }
          out += ']';
        }
      },
      v);
}

void put_attributes(std::string& out, const std::vector<attribute>& attributes) {
  out += '{';
  bool first = true;
  for (const attribute& a : attributes) {
    if (!first) out += ',';
    first = false;
    put_string(out, a.key);
    out += ':';
    put_value(out, a.value);
  }
  out += '}';
}

template <std::size_t N>
void put_id(std::string& out, const detail::id_bytes<N>& id) {
  out += '"';
  const std::size_t at = out.size();
  out.resize(at + 2 * N);
  id.to_hex(out.data() + at);
  out += '"';
}

const char* kind_name(span_kind k) noexcept {
  switch (k) {
    case span_kind::internal:
      return "internal";
    case span_kind::server:
      return "server";
    case span_kind::client:
      return "client";
    case span_kind::producer:
      return "producer";
    case span_kind::consumer:
      return "consumer";
  }
  return "internal";
}

const char* status_name(status_code c) noexcept {
  switch (c) {
    case status_code::unset:
      return "unset";
    case status_code::ok:
      return "ok";
    case status_code::error:
      return "error";
  }
  return "unset";
}

}  // namespace

std::string json_lines_exporter::to_json(const span_data& s) {
  std::string out;
  out.reserve(512);
  out += "{\"trace_id\":";
  put_id(out, s.trace);
  out += ",\"span_id\":";
  put_id(out, s.span);
  out += ",\"parent_span_id\":";
  if (s.parent.is_valid()) {
    put_id(out, s.parent);
  } else {
    out += "\"\"";
  }
  out += ",\"trace_state\":";
  put_string(out, s.trace_state);
  out += ",\"flags\":" + std::to_string(s.trace_flags);
  out += ",\"name\":";
  put_string(out, s.name);
  out += ",\"kind\":\"";
  out += kind_name(s.kind);
  out += "\",\"start_unix_nano\":" + std::to_string(s.start_unix_nano);
  out += ",\"end_unix_nano\":" + std::to_string(s.end_unix_nano);
  out += ",\"attributes\":";
  put_attributes(out, s.attributes);
  out += ",\"events\":[";
  for (std::size_t i = 0; i < s.events.size(); ++i) {
    if (i != 0) out += ',';
    out += "{\"name\":";
    put_string(out, s.events[i].name);
    out += ",\"time_unix_nano\":" + std::to_string(s.events[i].time_unix_nano);
    out += ",\"attributes\":";
    put_attributes(out, s.events[i].attributes);
    out += '}';
  }
  out += "],\"links\":[";
  for (std::size_t i = 0; i < s.links.size(); ++i) {
    if (i != 0) out += ',';
    out += "{\"trace_id\":";
    put_id(out, s.links[i].trace);
    out += ",\"span_id\":";
    put_id(out, s.links[i].span);
    out += ",\"trace_state\":";
    put_string(out, s.links[i].trace_state);
    out += ",\"flags\":" + std::to_string(s.links[i].flags);
    out += ",\"attributes\":";
    put_attributes(out, s.links[i].attributes);
    out += '}';
  }
  out += "],\"status\":{\"code\":\"";
  out += status_name(s.status);
  out += "\",\"message\":";
  put_string(out, s.status_message);
  out += "},\"dropped_attributes\":" + std::to_string(s.dropped_attributes);
  out += ",\"dropped_events\":" + std::to_string(s.dropped_events);
  out += ",\"dropped_links\":" + std::to_string(s.dropped_links);
  out += ",\"resource\":";
  put_attributes(out, s.res ? s.res->attributes : std::vector<attribute>{});
  out += ",\"scope\":{\"name\":";
  put_string(out, s.scope ? s.scope->name : std::string());
  out += ",\"version\":";
  put_string(out, s.scope ? s.scope->version : std::string());
  out += "}}";
  return out;
}

json_lines_exporter::json_lines_exporter(std::ostream& out) : out_(&out) {}

json_lines_exporter::json_lines_exporter(const std::string& path)
    : file_(path, std::ios::out | std::ios::app | std::ios::binary), out_(&file_) {
  if (!file_) throw std::runtime_error("json_lines_exporter: cannot open " + path);
}

span_exporter::result json_lines_exporter::export_spans(std::span<const span_data> batch) {
  std::string block;
  for (const span_data& s : batch) {
    block += to_json(s);
    block += '\n';
  }
  std::lock_guard lock(mutex_);
  if (shut_down_) return result::failure;
  out_->write(block.data(), static_cast<std::streamsize>(block.size()));
  return *out_ ? result::success : result::failure;
}

bool json_lines_exporter::force_flush(std::chrono::milliseconds) {
  std::lock_guard lock(mutex_);
  out_->flush();
  return static_cast<bool>(*out_);
}

bool json_lines_exporter::shutdown(std::chrono::milliseconds) {
  std::lock_guard lock(mutex_);
  if (shut_down_) return true;
  shut_down_ = true;
  out_->flush();
  return static_cast<bool>(*out_);
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
