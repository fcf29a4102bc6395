// OTLP ExportTraceServiceRequest encoders (protobuf and the JSON mapping) and the response
// decoders. Field numbers are those of opentelemetry-proto:
//   collector/trace/v1/trace_service.proto
//     ExportTraceServiceRequest   1 resource_spans (repeated ResourceSpans)
//     ExportTraceServiceResponse  1 partial_success (ExportTracePartialSuccess)
//     ExportTracePartialSuccess   1 rejected_spans (int64), 2 error_message (string)
//   trace/v1/trace.proto
//     ResourceSpans  1 resource, 2 scope_spans (repeated), 3 schema_url
//     ScopeSpans     1 scope, 2 spans (repeated), 3 schema_url
//     Span           1 trace_id (bytes), 2 span_id, 3 trace_state, 4 parent_span_id, 5 name,
//                    6 kind (enum), 7 start_time_unix_nano (fixed64), 8 end_time_unix_nano,
//                    9 attributes, 10 dropped_attributes_count, 11 events, 12 dropped_events_count,
//                    13 links, 14 dropped_links_count, 15 status, 16 flags (fixed32)
//     Span.Event     1 time_unix_nano (fixed64), 2 name, 3 attributes, 4 dropped_attributes_count
//     Span.Link      1 trace_id, 2 span_id, 3 trace_state, 4 attributes, 5 dropped_attributes_count,
//                    6 flags (fixed32)
//     Status         2 message, 3 code (enum)
//   common/v1/common.proto
//     AnyValue       oneof: 1 string_value, 2 bool_value, 3 int_value (int64), 4 double_value,
//                    5 array_value, 6 kvlist_value, 7 bytes_value
//     ArrayValue     1 values (repeated AnyValue)
//     KeyValue       1 key, 2 value
//     InstrumentationScope 1 name, 2 version, 3 attributes, 4 dropped_attributes_count
//   resource/v1/resource.proto
//     Resource       1 attributes, 2 dropped_attributes_count
//   google/rpc/status.proto
//     Status         1 code, 2 message, 3 details
#include <asyncctx/trace/otlp_payload.hpp>

#include <type_traits>
#include <utility>
#include <vector>

#include "wire.hpp"
#include <nlohmann/json.hpp>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

constexpr std::uint32_t span_flags_context_has_is_remote = 0x100;
constexpr std::uint32_t span_flags_context_is_remote = 0x200;

std::uint32_t span_flags(const span_data& s) noexcept {
  return s.trace_flags | span_flags_context_has_is_remote | (s.parent_is_remote ? span_flags_context_is_remote : 0);
}

// Spans grouped by resource, then by scope, in first-appearance order.
struct scope_group {
  const instrumentation_scope* scope;
  std::vector<const span_data*> spans;
};
struct resource_group {
  const resource* res;
  std::vector<scope_group> scopes;
};

template <class T>
bool same(const T* a, const T* b) {
  if (a == b) return true;
  static const T empty{};
  return (a != nullptr ? *a : empty) == (b != nullptr ? *b : empty);
}

std::vector<resource_group> group(std::span<const span_data> spans) {
  std::vector<resource_group> groups;
  for (const span_data& s : spans) {
    resource_group* rg = nullptr;
    for (auto& g : groups) {
      if (same(g.res, s.res.get())) {
        rg = &g;
        break;
      }
    }
    if (rg == nullptr) rg = &groups.emplace_back(resource_group{s.res.get(), {}});
    scope_group* sg = nullptr;
    for (auto& g : rg->scopes) {
      if (same(g.scope, s.scope.get())) {
        sg = &g;
        break;
      }
    }
    if (sg == nullptr) sg = &rg->scopes.emplace_back(scope_group{s.scope.get(), {}});
    sg->spans.push_back(&s);
  }
  return groups;
}

// --- protobuf ------------------------------------------------------------------------------

using wire::proto_writer;

template <class T>
void pb_any_scalar(proto_writer& w, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    w.string_always(1, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    w.bool_always(2, v);
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    w.int64_always(3, v);
  } else {
    static_assert(std::is_same_v<T, double>);
    w.double_always(4, v);
  }
}

void pb_any_value(proto_writer& w, const attribute_value& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, bool> || std::is_same_v<V, std::int64_t> ||
                      std::is_same_v<V, double>) {
          pb_any_scalar(w, v);
        } else {
          const std::size_t array = w.begin_message(5);
          for (const auto& element : v) {
            const std::size_t any = w.begin_message(1);
            pb_any_scalar(w, static_cast<typename V::value_type>(element));
            w.end_message(any);
          }
          w.end_message(array);
        }
      },
      value);
}

void pb_attributes(proto_writer& w, std::uint32_t field, const std::vector<attribute>& attributes) {
  for (const attribute& a : attributes) {
    const std::size_t kv = w.begin_message(field);
    w.string_field(1, a.key);
    const std::size_t value = w.begin_message(2);
    pb_any_value(w, a.value);
    w.end_message(value);
    w.end_message(kv);
  }
}

void pb_span(proto_writer& w, const span_data& s) {
  const std::size_t span = w.begin_message(2);
  w.bytes_field(1, s.trace.bytes.data(), s.trace.bytes.size());
  w.bytes_field(2, s.span.bytes.data(), s.span.bytes.size());
  w.string_field(3, s.trace_state);
  if (s.parent.is_valid()) w.bytes_field(4, s.parent.bytes.data(), s.parent.bytes.size());
  w.string_field(5, s.name);
  w.uint64_field(6, static_cast<std::uint64_t>(s.kind));
  w.fixed64_field(7, s.start_unix_nano);
  w.fixed64_field(8, s.end_unix_nano);
  pb_attributes(w, 9, s.attributes);
  w.uint64_field(10, s.dropped_attributes);
  for (const span_event& e : s.events) {
    const std::size_t event = w.begin_message(11);
    w.fixed64_field(1, e.time_unix_nano);
    w.string_field(2, e.name);
    pb_attributes(w, 3, e.attributes);
    w.uint64_field(4, e.dropped_attributes);
    w.end_message(event);
  }
  w.uint64_field(12, s.dropped_events);
  for (const span_link& l : s.links) {
    const std::size_t link = w.begin_message(13);
    w.bytes_field(1, l.trace.bytes.data(), l.trace.bytes.size());
    w.bytes_field(2, l.span.bytes.data(), l.span.bytes.size());
    w.string_field(3, l.trace_state);
    pb_attributes(w, 4, l.attributes);
    w.uint64_field(5, l.dropped_attributes);
    w.fixed32_field(6, l.flags & 0xff);
    w.end_message(link);
  }
  w.uint64_field(14, s.dropped_links);
  if (s.status != status_code::unset || !s.status_message.empty()) {
    const std::size_t status = w.begin_message(15);
    w.string_field(2, s.status_message);
    w.uint64_field(3, static_cast<std::uint64_t>(s.status));
    w.end_message(status);
  }
  w.fixed32_field(16, span_flags(s));
  w.end_message(span);
}

std::string encode_protobuf(std::span<const span_data> spans) {
  std::string out;
  out.reserve(256 * spans.size() + 256);
  proto_writer w(out);
  for (const resource_group& rg : group(spans)) {
    const std::size_t resource_spans = w.begin_message(1);
    if (rg.res != nullptr) {
      const std::size_t res = w.begin_message(1);
      pb_attributes(w, 1, rg.res->attributes);
      w.end_message(res);
    }
    for (const scope_group& sg : rg.scopes) {
      const std::size_t scope_spans = w.begin_message(2);
      if (sg.scope != nullptr) {
        const std::size_t scope = w.begin_message(1);
        w.string_field(1, sg.scope->name);
        w.string_field(2, sg.scope->version);
        pb_attributes(w, 3, sg.scope->attributes);
        w.end_message(scope);
      }
      for (const span_data* s : sg.spans) pb_span(w, *s);
      w.end_message(scope_spans);
    }
    w.end_message(resource_spans);
  }
  return out;
}

// --- JSON ----------------------------------------------------------------------------------

template <class T>
void json_any_scalar(std::string& out, const T& v) {
  if constexpr (std::is_same_v<T, std::string>) {
    out.append("{\"stringValue\":");
    wire::append_json_string(out, v);
  } else if constexpr (std::is_same_v<T, bool>) {
    out.append(v ? "{\"boolValue\":true" : "{\"boolValue\":false");
  } else if constexpr (std::is_same_v<T, std::int64_t>) {
    out.append("{\"intValue\":");
    wire::append_json_int_string(out, v);
  } else {
    static_assert(std::is_same_v<T, double>);
    out.append("{\"doubleValue\":");
    wire::append_json_double(out, v);
  }
  out.push_back('}');
}

void json_any_value(std::string& out, const attribute_value& value) {
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string> || std::is_same_v<V, bool> || std::is_same_v<V, std::int64_t> ||
                      std::is_same_v<V, double>) {
          json_any_scalar(out, v);
        } else {
          out.append("{\"arrayValue\":{\"values\":[");
          bool first = true;
          for (const auto& element : v) {
            if (!first) out.push_back(',');
            first = false;
            json_any_scalar(out, static_cast<typename V::value_type>(element));
          }
          out.append("]}}");
        }
      },
      value);
}

void json_attributes(std::string& out, const std::vector<attribute>& attributes) {
  out.append("\"attributes\":[");
  bool first = true;
  for (const attribute& a : attributes) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"key\":");
    wire::append_json_string(out, a.key);
    out.append(",\"value\":");
    json_any_value(out, a.value);
    out.push_back('}');
  }
  out.push_back(']');
}

template <class Id>
void json_id(std::string& out, std::string_view name, const Id& id) {
  out.push_back('"');
  out.append(name);
  out.append("\":\"");
  const std::size_t at = out.size();
  out.resize(at + Id::hex_size);
  id.to_hex(out.data() + at);
  out.push_back('"');
}

void json_count(std::string& out, std::string_view name, std::uint32_t n) {
  if (n == 0) return;
  out.append(",\"");
  out.append(name);
  out.append("\":");
  wire::append_json_int(out, n);
}

void json_span(std::string& out, const span_data& s) {
  out.push_back('{');
  json_id(out, "traceId", s.trace);
  out.push_back(',');
  json_id(out, "spanId", s.span);
  if (!s.trace_state.empty()) {
    out.append(",\"traceState\":");
    wire::append_json_string(out, s.trace_state);
  }
  if (s.parent.is_valid()) {
    out.push_back(',');
    json_id(out, "parentSpanId", s.parent);
  }
  out.append(",\"flags\":");
  wire::append_json_int(out, span_flags(s));
  out.append(",\"name\":");
  wire::append_json_string(out, s.name);
  out.append(",\"kind\":");
  wire::append_json_int(out, static_cast<unsigned>(s.kind));
  out.append(",\"startTimeUnixNano\":");
  wire::append_json_int_string(out, s.start_unix_nano);
  out.append(",\"endTimeUnixNano\":");
  wire::append_json_int_string(out, s.end_unix_nano);
  out.push_back(',');
  json_attributes(out, s.attributes);
  json_count(out, "droppedAttributesCount", s.dropped_attributes);
  out.append(",\"events\":[");
  bool first = true;
  for (const span_event& e : s.events) {
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"timeUnixNano\":");
    wire::append_json_int_string(out, e.time_unix_nano);
    out.append(",\"name\":");
    wire::append_json_string(out, e.name);
    out.push_back(',');
    json_attributes(out, e.attributes);
    json_count(out, "droppedAttributesCount", e.dropped_attributes);
    out.push_back('}');
  }
  out.push_back(']');
  json_count(out, "droppedEventsCount", s.dropped_events);
  out.append(",\"links\":[");
  first = true;
  for (const span_link& l : s.links) {
    if (!first) out.push_back(',');
    first = false;
    out.push_back('{');
    json_id(out, "traceId", l.trace);
    out.push_back(',');
    json_id(out, "spanId", l.span);
    if (!l.trace_state.empty()) {
      out.append(",\"traceState\":");
      wire::append_json_string(out, l.trace_state);
    }
    out.push_back(',');
    json_attributes(out, l.attributes);
    json_count(out, "droppedAttributesCount", l.dropped_attributes);
    json_count(out, "flags", l.flags & 0xff);
    out.push_back('}');
  }
  out.push_back(']');
  json_count(out, "droppedLinksCount", s.dropped_links);
  out.append(",\"status\":{");
  if (s.status != status_code::unset) {
    out.append("\"code\":");
    wire::append_json_int(out, static_cast<unsigned>(s.status));
  }
  if (!s.status_message.empty()) {
    if (s.status != status_code::unset) out.push_back(',');
    out.append("\"message\":");
    wire::append_json_string(out, s.status_message);
  }
  out.append("}}");
}

std::string encode_json(std::span<const span_data> spans) {
  std::string out;
  out.reserve(512 * spans.size() + 256);
  out.append("{\"resourceSpans\":[");
  bool first_resource = true;
  for (const resource_group& rg : group(spans)) {
    if (!first_resource) out.push_back(',');
    first_resource = false;
    out.append("{\"resource\":{");
    json_attributes(out, rg.res != nullptr ? rg.res->attributes : std::vector<attribute>{});
    out.append("},\"scopeSpans\":[");
    bool first_scope = true;
    for (const scope_group& sg : rg.scopes) {
      if (!first_scope) out.push_back(',');
      first_scope = false;
      out.append("{\"scope\":{\"name\":");
      wire::append_json_string(out, sg.scope != nullptr ? sg.scope->name : std::string());
      if (sg.scope != nullptr && !sg.scope->version.empty()) {
        out.append(",\"version\":");
        wire::append_json_string(out, sg.scope->version);
      }
      if (sg.scope != nullptr && !sg.scope->attributes.empty()) {
        out.push_back(',');
        json_attributes(out, sg.scope->attributes);
      }
      out.append("},\"spans\":[");
      bool first_span = true;
      for (const span_data* s : sg.spans) {
        if (!first_span) out.push_back(',');
        first_span = false;
        json_span(out, *s);
      }
      out.append("]}");
    }
    out.append("]}");
  }
  out.append("]}");
  return out;
}

// --- responses -----------------------------------------------------------------------------

// A protobuf message that is entirely well-formed; calls `on_field` for each field.
template <class F>
bool pb_walk(std::string_view data, F&& on_field) {
  wire::proto_reader r(data);
  while (r.next()) {
    if (!on_field(r)) return false;
  }
  return !r.failed();
}

std::optional<otlp_partial_success> decode_protobuf_response(std::string_view body) {
  otlp_partial_success result;
  const bool ok = pb_walk(body, [&](const wire::proto_reader& r) {
    if (r.field() != 1) return true;  // unknown fields are skipped, as protobuf requires
    if (r.type() != wire::wire_type::length_delimited) return false;
    return pb_walk(r.bytes(), [&](const wire::proto_reader& f) {
      if (f.field() == 1) {
        if (f.type() != wire::wire_type::varint) return false;
        result.rejected_spans = static_cast<std::int64_t>(f.value());
      } else if (f.field() == 2) {
        if (f.type() != wire::wire_type::length_delimited) return false;
        result.error_message.clear();
        wire::append_utf8(result.error_message, f.bytes());
      }
      return true;
    });
  });
  if (!ok) return std::nullopt;
  return result;
}

// A JSON int64 field: a number or a decimal string (both are the mapping's forms).
bool json_int64(const nlohmann::json& v, std::int64_t& out) {
  if (v.is_number_integer()) {
    out = v.get<std::int64_t>();
    return true;
  }
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    return r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty();
  }
  return false;
}

const nlohmann::json* json_member(const nlohmann::json& object, const char* camel, const char* snake) {
  if (auto it = object.find(camel); it != object.end()) return &*it;
  if (auto it = object.find(snake); it != object.end()) return &*it;
  return nullptr;
}

std::optional<otlp_partial_success> decode_json_response(std::string_view body) {
  otlp_partial_success result;
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return result;
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) return std::nullopt;
  const nlohmann::json* partial = json_member(doc, "partialSuccess", "partial_success");
  if (partial == nullptr || partial->is_null()) return result;
  if (!partial->is_object()) return std::nullopt;
  if (const auto* rejected = json_member(*partial, "rejectedSpans", "rejected_spans");
      rejected != nullptr && !rejected->is_null()) {
    if (!json_int64(*rejected, result.rejected_spans)) return std::nullopt;
  }
  if (const auto* message = json_member(*partial, "errorMessage", "error_message");
      message != nullptr && !message->is_null()) {
    if (!message->is_string()) return std::nullopt;
    result.error_message = message->get<std::string>();
  }
  return result;
}

}  // namespace

std::string_view otlp_content_type(otlp_protocol protocol) noexcept {
  return protocol == otlp_protocol::http_json ? "application/json" : "application/x-protobuf";
}

std::string encode_otlp_request(std::span<const span_data> spans, otlp_protocol protocol) {
  return protocol == otlp_protocol::http_json ? encode_json(spans) : encode_protobuf(spans);
}

std::optional<otlp_partial_success> decode_otlp_response(std::string_view body, otlp_protocol protocol) noexcept {
  try {
    return protocol == otlp_protocol::http_json ? decode_json_response(body) : decode_protobuf_response(body);
  } catch (...) {
    return std::nullopt;  // out of memory on a huge message: as good as garbage
  }
}

std::string decode_otlp_error_message(std::string_view body, otlp_protocol protocol) noexcept {
  try {
    std::string message;
    if (protocol == otlp_protocol::http_json) {
      const nlohmann::json doc = nlohmann::json::parse(body, nullptr, false);
      if (!doc.is_discarded() && doc.is_object()) {
        if (auto it = doc.find("message"); it != doc.end() && it->is_string()) message = it->get<std::string>();
      }
    } else {
      const bool ok = pb_walk(body, [&](const wire::proto_reader& r) {
        if (r.field() == 2 && r.type() == wire::wire_type::length_delimited) {
          message.clear();
          wire::append_utf8(message, r.bytes());
        }
        return true;
      });
      if (!ok) message.clear();
    }
    return message;
  } catch (...) {
    return {};
  }
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
