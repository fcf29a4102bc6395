// otlp_payload_dump <fixture.json> <out.json> <out.pb>
//
// Loads a fixture of spans (tests/trace/interop/fixture_spans.json: a resource, a scope and
// spans with every kind of attribute, events, links and status) into span_data, and writes
// our two OTLP encodings of it: the JSON mapping to <out.json> and the protobuf
// ExportTraceServiceRequest to <out.pb>. The interop driver compares their decoded contents
// with what OpenTelemetry JS's serializers make of the same spans.
// Exit status: 0 written, 1 unreadable or invalid fixture (the reason on stderr), 2 usage.
#include <asyncctx/trace/otlp_payload.hpp>

#include <charconv>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using namespace asyncctx::trace;
using nlohmann::json;

[[noreturn]] void fail(const std::string& why) { throw std::runtime_error(why); }

// A JSON integer, or a decimal string (for values beyond 2^53).
template <class Int>
Int integer(const json& v, const char* what) {
  if (v.is_number_integer()) return v.get<Int>();
  if (v.is_string()) {
    const auto& s = v.get_ref<const std::string&>();
    Int out{};
    const auto r = std::from_chars(s.data(), s.data() + s.size(), out);
    if (r.ec == std::errc() && r.ptr == s.data() + s.size() && !s.empty()) return out;
  }
  fail(std::string("not an integer: ") + what + " = " + v.dump());
}

template <class Id>
Id id(const json& v, const char* what) {
  const auto parsed = Id::from_hex(v.get<std::string>());
  if (!parsed) fail(std::string("not a hex id: ") + what + " = " + v.dump());
  return *parsed;
}

attribute_value value_of(const std::string& type, const json& v) {
  if (type == "string") return v.get<std::string>();
  if (type == "bool") return v.get<bool>();
  if (type == "int") return integer<std::int64_t>(v, "int attribute");
  if (type == "double") return v.get<double>();
  if (type == "string_array") return v.get<std::vector<std::string>>();
  if (type == "bool_array") return v.get<std::vector<bool>>();
  if (type == "double_array") return v.get<std::vector<double>>();
  if (type == "int_array") {
    std::vector<std::int64_t> out;
    for (const json& e : v) out.push_back(integer<std::int64_t>(e, "int_array element"));
    return out;
  }
  fail("unknown attribute type: " + type);
}

std::vector<attribute> attributes(const json& parent) {
  std::vector<attribute> out;
  if (!parent.contains("attributes")) return out;
  for (const json& a : parent.at("attributes")) {
    out.push_back({a.at("key").get<std::string>(), value_of(a.at("type").get<std::string>(), a.at("value"))});
  }
  return out;
}

std::uint32_t count(const json& parent, const char* name) {
  return parent.contains(name) ? integer<std::uint32_t>(parent.at(name), name) : 0;
}

std::vector<span_data> load(const json& doc) {
  auto res = std::make_shared<resource>();
  res->attributes = attributes(json{{"attributes", doc.at("resource")}});
  auto scope = std::make_shared<instrumentation_scope>();
  const json& sc = doc.at("scope");
  scope->name = sc.value("name", "");
  scope->version = sc.value("version", "");
  scope->attributes = attributes(sc);

  std::vector<span_data> spans;
  for (const json& s : doc.at("spans")) {
    span_data d;
    d.trace = id<trace_id>(s.at("trace_id"), "trace_id");
    d.span = id<span_id>(s.at("span_id"), "span_id");
    const std::string parent = s.value("parent_span_id", "");
    if (!parent.empty()) d.parent = id<span_id>(s.at("parent_span_id"), "parent_span_id");
    d.parent_is_remote = s.value("parent_is_remote", false);
    d.trace_state = s.value("trace_state", "");
    d.trace_flags = integer<std::uint8_t>(s.at("flags"), "flags");
    d.name = s.at("name").get<std::string>();
    const int kind = s.at("kind").get<int>();
    if (kind < 1 || kind > 5) fail("kind out of range: " + std::to_string(kind));
    d.kind = static_cast<span_kind>(kind);
    d.start_unix_nano = integer<std::uint64_t>(s.at("start_unix_nano"), "start_unix_nano");
    d.end_unix_nano = integer<std::uint64_t>(s.at("end_unix_nano"), "end_unix_nano");
    d.attributes = attributes(s);
    for (const json& e : s.value("events", json::array())) {
      d.events.push_back({e.at("name").get<std::string>(), integer<std::uint64_t>(e.at("time_unix_nano"), "time"),
                          attributes(e), count(e, "dropped_attributes_count")});
    }
    for (const json& l : s.value("links", json::array())) {
      d.links.push_back({id<trace_id>(l.at("trace_id"), "link trace_id"), id<span_id>(l.at("span_id"), "link span_id"),
                         l.value("trace_state", ""),
                         l.contains("flags") ? integer<std::uint32_t>(l.at("flags"), "link flags") : 0, attributes(l),
                         count(l, "dropped_attributes_count")});
    }
    if (s.contains("status")) {
      const int code = s.at("status").value("code", 0);
      if (code < 0 || code > 2) fail("status code out of range: " + std::to_string(code));
      d.status = static_cast<status_code>(code);
      d.status_message = s.at("status").value("message", "");
    }
    d.dropped_attributes = count(s, "dropped_attributes_count");
    d.dropped_events = count(s, "dropped_events_count");
    d.dropped_links = count(s, "dropped_links_count");
    d.res = res;
    d.scope = scope;
    spans.push_back(std::move(d));
  }
  return spans;
}

void write(const std::string& path, const std::string& bytes) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (!out.flush()) fail("cannot write " + path);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::fprintf(stderr, "usage: %s <fixture.json> <out.json> <out.pb>\n", argv[0]);
    return 2;
  }
  try {
    std::ifstream in(argv[1], std::ios::binary);
    if (!in) fail(std::string("cannot read ") + argv[1]);
    std::stringstream text;
    text << in.rdbuf();
    const std::vector<span_data> spans = load(json::parse(text.str()));
    write(argv[2], encode_otlp_request(spans, otlp_protocol::http_json));
    write(argv[3], encode_otlp_request(spans, otlp_protocol::http_protobuf));
    std::printf("%zu spans written to %s and %s\n", spans.size(), argv[2], argv[3]);
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "otlp_payload_dump: %s\n", e.what());
    return 1;
  }
}
