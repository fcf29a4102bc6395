// OTLP payload encoders and response decoders (otlp_payload.hpp). The protobuf output is read
// back with a decoder written here from the .proto field numbers (independent of the
// library's writer), the JSON output with nlohmann-json.
#include <asyncctx/trace/otlp_payload.hpp>

#include <gtest/gtest.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using namespace asyncctx::trace;
using nlohmann::json;

// --- a minimal protobuf decoder: a message as field number -> list of raw values -----------
struct pb_value {
  int wire = 0;
  std::uint64_t number = 0;  // varint, fixed32, fixed64
  std::string bytes;         // length-delimited
};
using pb_message = std::multimap<int, pb_value>;

pb_message pb_decode(const std::string& data) {
  pb_message m;
  std::size_t i = 0;
  auto varint = [&] {
    std::uint64_t v = 0;
    for (int shift = 0;; shift += 7) {
      if (i >= data.size() || shift > 63) throw std::runtime_error("bad varint");
      const auto b = static_cast<std::uint8_t>(data[i++]);
      v |= std::uint64_t{b & 0x7fu} << shift;
      if (!(b & 0x80)) return v;
    }
  };
  while (i < data.size()) {
    const std::uint64_t key = varint();
    pb_value v;
    v.wire = static_cast<int>(key & 7);
    if (v.wire == 0) {
      v.number = varint();
    } else if (v.wire == 1 || v.wire == 5) {
      const int n = v.wire == 1 ? 8 : 4;
      if (i + n > data.size()) throw std::runtime_error("short fixed");
      for (int k = 0; k < n; ++k) v.number |= std::uint64_t{static_cast<std::uint8_t>(data[i + k])} << (8 * k);
      i += n;
    } else if (v.wire == 2) {
      const std::uint64_t len = varint();
      if (i + len > data.size()) throw std::runtime_error("short bytes");
      v.bytes = data.substr(i, len);
      i += len;
    } else {
      throw std::runtime_error("bad wire type");
    }
    m.emplace(static_cast<int>(key >> 3), v);
  }
  return m;
}

const pb_value& one(const pb_message& m, int field) {
  EXPECT_EQ(m.count(field), 1u) << "field " << field;
  static const pb_value none;
  auto it = m.find(field);
  return it == m.end() ? none : it->second;
}
std::vector<pb_message> many(const pb_message& m, int field) {
  std::vector<pb_message> out;
  auto [a, b] = m.equal_range(field);
  for (; a != b; ++a) out.push_back(pb_decode(a->second.bytes));
  return out;
}

std::string bytes_of(const auto& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes.data()), id.bytes.size());
}

span_data sample_span() {
  auto res = std::make_shared<resource>(resource{{{"service.name", std::string("svc")}}});
  auto scope = std::make_shared<instrumentation_scope>(instrumentation_scope{"lib", "1.2.3", {}});
  span_data s;
  s.trace = *trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  s.span = *span_id::from_hex("b7ad6b7169203331");
  s.parent = *span_id::from_hex("00f067aa0ba902b7");
  s.parent_is_remote = true;
  s.trace_state = "congo=t61rcWkgMzE";
  s.trace_flags = trace_flag_sampled | trace_flag_random;
  s.name = "GET /x";
  s.kind = span_kind::server;
  s.start_unix_nano = 1700000000000000000ULL;
  s.end_unix_nano = 1700000000100000000ULL;
  s.attributes = {{"str", std::string("v")},
                  {"flag", true},
                  {"int", std::int64_t{-9007199254740993}},
                  {"dbl", 1.5},
                  {"strs", std::vector<std::string>{"a", "b"}},
                  {"bools", std::vector<bool>{true, false}},
                  {"ints", std::vector<std::int64_t>{1, 2}},
                  {"dbls", std::vector<double>{0.25}}};
  s.events = {{"ev", 1700000000050000000ULL, {{"k", std::string("x")}}, 0}};
  s.links = {{*trace_id::from_hex("11111111111111111111111111111111"),
              *span_id::from_hex("2222222222222222"),
              "a=b",
              trace_flag_sampled,
              {{"lk", std::int64_t{7}}},
              0}};
  s.status = status_code::error;
  s.status_message = "boom";
  s.dropped_attributes = 3;
  s.res = res;
  s.scope = scope;
  return s;
}

TEST(OtlpProtobuf, SpanFieldsCarryTheirProtoFieldNumbersAndWireTypes) {
  const span_data s = sample_span();
  const std::string body = encode_otlp_request(std::span(&s, 1), otlp_protocol::http_protobuf);
  const pb_message request = pb_decode(body);
  const auto resource_spans = many(request, 1);
  ASSERT_EQ(resource_spans.size(), 1u);
  const pb_message resource_msg = pb_decode(one(resource_spans[0], 1).bytes);
  const auto res_attrs = many(resource_msg, 1);
  ASSERT_EQ(res_attrs.size(), 1u);
  EXPECT_EQ(one(res_attrs[0], 1).bytes, "service.name");
  EXPECT_EQ(one(pb_decode(one(res_attrs[0], 2).bytes), 1).bytes, "svc");

  const auto scope_spans = many(resource_spans[0], 2);
  ASSERT_EQ(scope_spans.size(), 1u);
  const pb_message scope = pb_decode(one(scope_spans[0], 1).bytes);
  EXPECT_EQ(one(scope, 1).bytes, "lib");
  EXPECT_EQ(one(scope, 2).bytes, "1.2.3");
  const auto spans = many(scope_spans[0], 2);
  ASSERT_EQ(spans.size(), 1u);
  const pb_message& span = spans[0];
  EXPECT_EQ(one(span, 1).bytes, bytes_of(s.trace));
  EXPECT_EQ(one(span, 2).bytes, bytes_of(s.span));
  EXPECT_EQ(one(span, 3).bytes, "congo=t61rcWkgMzE");
  EXPECT_EQ(one(span, 4).bytes, bytes_of(s.parent));
  EXPECT_EQ(one(span, 5).bytes, "GET /x");
  EXPECT_EQ(one(span, 6).number, 2u);
  EXPECT_EQ(one(span, 7).wire, 1);
  EXPECT_EQ(one(span, 7).number, s.start_unix_nano);
  EXPECT_EQ(one(span, 8).number, s.end_unix_nano);
  EXPECT_EQ(one(span, 10).number, 3u);
  EXPECT_EQ(one(span, 16).wire, 5);
  EXPECT_EQ(one(span, 16).number, 0x303u);  // sampled|random, has-is-remote, is-remote

  const auto attrs = many(span, 9);
  ASSERT_EQ(attrs.size(), 8u);
  std::map<std::string, pb_message> by_key;
  for (const auto& kv : attrs) by_key[one(kv, 1).bytes] = pb_decode(one(kv, 2).bytes);
  EXPECT_EQ(one(by_key["str"], 1).bytes, "v");
  EXPECT_EQ(one(by_key["flag"], 2).number, 1u);
  EXPECT_EQ(static_cast<std::int64_t>(one(by_key["int"], 3).number), -9007199254740993);
  double d = 0;
  const std::uint64_t bits = one(by_key["dbl"], 4).number;
  std::memcpy(&d, &bits, sizeof d);
  EXPECT_EQ(d, 1.5);
  const auto strs = many(pb_decode(one(by_key["strs"], 5).bytes), 1);
  ASSERT_EQ(strs.size(), 2u);
  EXPECT_EQ(one(strs[1], 1).bytes, "b");
  const auto bools = many(pb_decode(one(by_key["bools"], 5).bytes), 1);
  ASSERT_EQ(bools.size(), 2u);
  EXPECT_EQ(one(bools[1], 2).number, 0u);  // a false element is still written (oneof member)
  EXPECT_EQ(many(pb_decode(one(by_key["ints"], 5).bytes), 1).size(), 2u);
  EXPECT_EQ(many(pb_decode(one(by_key["dbls"], 5).bytes), 1).size(), 1u);

  const auto events = many(span, 11);
  ASSERT_EQ(events.size(), 1u);
  EXPECT_EQ(one(events[0], 1).number, 1700000000050000000ULL);
  EXPECT_EQ(one(events[0], 2).bytes, "ev");
  EXPECT_EQ(many(events[0], 3).size(), 1u);
  const auto links = many(span, 13);
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(one(links[0], 1).bytes, bytes_of(s.links[0].trace));
  EXPECT_EQ(one(links[0], 2).bytes, bytes_of(s.links[0].span));
  EXPECT_EQ(one(links[0], 3).bytes, "a=b");
  EXPECT_EQ(many(links[0], 4).size(), 1u);
  EXPECT_EQ(one(links[0], 6).number, 1u);
  const pb_message status = pb_decode(one(span, 15).bytes);
  EXPECT_EQ(one(status, 2).bytes, "boom");
  EXPECT_EQ(one(status, 3).number, 2u);
}

TEST(OtlpProtobuf, RootSpanHasNoParentAndDefaultsAreLeftOut) {
  span_data s;
  s.trace = *trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  s.span = *span_id::from_hex("b7ad6b7169203331");
  s.name = "root";
  const std::string body = encode_otlp_request(std::span(&s, 1), otlp_protocol::http_protobuf);
  const pb_message span = many(many(many(pb_decode(body), 1)[0], 2)[0], 2)[0];
  EXPECT_EQ(span.count(4), 0u);   // no parent_span_id
  EXPECT_EQ(span.count(15), 0u);  // unset status
  EXPECT_EQ(span.count(10), 0u);  // no dropped count
  EXPECT_EQ(one(span, 16).number, 0x100u);
}

TEST(OtlpProtobuf, SpansAreGroupedByResourceThenScopeInFirstAppearanceOrder) {
  auto r1 = std::make_shared<resource>(resource{{{"service.name", std::string("a")}}});
  auto r1_copy = std::make_shared<resource>(*r1);  // equal content, other object: same group
  auto r2 = std::make_shared<resource>(resource{{{"service.name", std::string("b")}}});
  auto s1 = std::make_shared<instrumentation_scope>(instrumentation_scope{"x", "", {}});
  auto s2 = std::make_shared<instrumentation_scope>(instrumentation_scope{"y", "", {}});
  std::vector<span_data> spans(4);
  spans[0].res = r1, spans[0].scope = s1, spans[0].name = "0";
  spans[1].res = r2, spans[1].scope = s1, spans[1].name = "1";
  spans[2].res = r1_copy, spans[2].scope = s2, spans[2].name = "2";
  spans[3].res = r1, spans[3].scope = s1, spans[3].name = "3";
  const pb_message request = pb_decode(encode_otlp_request(spans, otlp_protocol::http_protobuf));
  const auto rs = many(request, 1);
  ASSERT_EQ(rs.size(), 2u);
  const auto first_scopes = many(rs[0], 2);
  ASSERT_EQ(first_scopes.size(), 2u);
  const auto x_spans = many(first_scopes[0], 2);
  ASSERT_EQ(x_spans.size(), 2u);
  EXPECT_EQ(one(x_spans[0], 5).bytes, "0");
  EXPECT_EQ(one(x_spans[1], 5).bytes, "3");
  EXPECT_EQ(one(many(first_scopes[1], 2)[0], 5).bytes, "2");
  EXPECT_EQ(one(many(many(rs[1], 2)[0], 2)[0], 5).bytes, "1");
}

TEST(OtlpProtobuf, InvalidUtf8IsReplacedSoTheStringFieldStaysValid) {
  span_data s;
  s.name = std::string(
      "a\xff"
      "b\xc0\x80"
      "c\xed\xa0\x80"
      "\xe2\x82\xac",
      12);
  const pb_message span = many(
      many(many(pb_decode(encode_otlp_request(std::span(&s, 1), otlp_protocol::http_protobuf)), 1)[0], 2)[0], 2)[0];
  EXPECT_EQ(one(span, 5).bytes,
            "a\xef\xbf\xbd"
            "b\xef\xbf\xbd\xef\xbf\xbd"
            "c\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"
            "\xe2\x82\xac");
}

TEST(OtlpProtobuf, LongMessagesGetMultiByteLengthPrefixes) {
  span_data s;
  s.name = std::string(300, 'n');
  s.attributes.push_back({"big", std::string(70000, 'v')});
  const pb_message span = many(
      many(many(pb_decode(encode_otlp_request(std::span(&s, 1), otlp_protocol::http_protobuf)), 1)[0], 2)[0], 2)[0];
  EXPECT_EQ(one(span, 5).bytes.size(), 300u);
  EXPECT_EQ(one(pb_decode(one(many(span, 9)[0], 2).bytes), 1).bytes.size(), 70000u);
}

TEST(OtlpJson, FollowsTheJsonMappingHexIdsCamelCaseIntegerEnumsAndStringInt64) {
  const span_data s = sample_span();
  const json doc = json::parse(encode_otlp_request(std::span(&s, 1), otlp_protocol::http_json));
  const json& rs = doc.at("resourceSpans").at(0);
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("key"), "service.name");
  EXPECT_EQ(rs.at("resource").at("attributes").at(0).at("value").at("stringValue"), "svc");
  const json& ss = rs.at("scopeSpans").at(0);
  EXPECT_EQ(ss.at("scope").at("name"), "lib");
  EXPECT_EQ(ss.at("scope").at("version"), "1.2.3");
  const json& span = ss.at("spans").at(0);
  EXPECT_EQ(span.at("traceId"), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(span.at("spanId"), "b7ad6b7169203331");
  EXPECT_EQ(span.at("parentSpanId"), "00f067aa0ba902b7");
  EXPECT_EQ(span.at("traceState"), "congo=t61rcWkgMzE");
  EXPECT_EQ(span.at("flags"), 0x303);
  EXPECT_EQ(span.at("name"), "GET /x");
  EXPECT_EQ(span.at("kind"), 2);
  EXPECT_EQ(span.at("startTimeUnixNano"), "1700000000000000000");
  EXPECT_EQ(span.at("endTimeUnixNano"), "1700000000100000000");
  EXPECT_EQ(span.at("droppedAttributesCount"), 3);
  std::map<std::string, json> attrs;
  for (const json& kv : span.at("attributes")) attrs[kv.at("key")] = kv.at("value");
  EXPECT_EQ(attrs["str"], json::parse(R"({"stringValue":"v"})"));
  EXPECT_EQ(attrs["flag"], json::parse(R"({"boolValue":true})"));
  EXPECT_EQ(attrs["int"], json::parse(R"({"intValue":"-9007199254740993"})"));
  EXPECT_EQ(attrs["dbl"], json::parse(R"({"doubleValue":1.5})"));
  EXPECT_EQ(attrs["strs"], json::parse(R"({"arrayValue":{"values":[{"stringValue":"a"},{"stringValue":"b"}]}})"));
  EXPECT_EQ(attrs["bools"], json::parse(R"({"arrayValue":{"values":[{"boolValue":true},{"boolValue":false}]}})"));
  EXPECT_EQ(attrs["ints"], json::parse(R"({"arrayValue":{"values":[{"intValue":"1"},{"intValue":"2"}]}})"));
  EXPECT_EQ(attrs["dbls"], json::parse(R"({"arrayValue":{"values":[{"doubleValue":0.25}]}})"));
  const json& ev = span.at("events").at(0);
  EXPECT_EQ(ev.at("timeUnixNano"), "1700000000050000000");
  EXPECT_EQ(ev.at("name"), "ev");
  const json& link = span.at("links").at(0);
  EXPECT_EQ(link.at("traceId"), "11111111111111111111111111111111");
  EXPECT_EQ(link.at("spanId"), "2222222222222222");
  EXPECT_EQ(link.at("traceState"), "a=b");
  EXPECT_EQ(link.at("flags"), 1);
  EXPECT_EQ(link.at("attributes").at(0).at("value").at("intValue"), "7");
  EXPECT_EQ(span.at("status"), json::parse(R"({"code":2,"message":"boom"})"));
}

TEST(OtlpJson, RootSpanHasNoParentSpanId) {
  span_data s;
  s.name = "root";
  const json doc = json::parse(encode_otlp_request(std::span(&s, 1), otlp_protocol::http_json));
  const json& span = doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_FALSE(span.contains("parentSpanId"));
  EXPECT_EQ(span.at("status"), json::object());
}

TEST(OtlpJson, StringsCannotBreakOutAndNonFiniteDoublesUseTheMappingsNames) {
  span_data s;
  s.name = std::string("q\"\\\n\x01\x7f\xff", 7);
  s.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()},
                  {"inf", std::numeric_limits<double>::infinity()},
                  {"-inf", -std::numeric_limits<double>::infinity()}};
  const std::string text = encode_otlp_request(std::span(&s, 1), otlp_protocol::http_json);
  const json doc = json::parse(text);  // valid JSON (and valid UTF-8: nlohmann checks)
  const json& span = doc.at("resourceSpans").at(0).at("scopeSpans").at(0).at("spans").at(0);
  EXPECT_EQ(span.at("name"), "q\"\\\n\x01\x7f\xef\xbf\xbd");
  EXPECT_EQ(span.at("attributes").at(0).at("value").at("doubleValue"), "NaN");
  EXPECT_EQ(span.at("attributes").at(1).at("value").at("doubleValue"), "Infinity");
  EXPECT_EQ(span.at("attributes").at(2).at("value").at("doubleValue"), "-Infinity");
}

TEST(OtlpJson, DoublesRoundTripExactly) {
  span_data s;
  s.attributes = {{"d", 0.1 + 0.2}};
  const json doc = json::parse(encode_otlp_request(std::span(&s, 1), otlp_protocol::http_json));
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"][0]["value"]["doubleValue"].get<double>(),
            0.1 + 0.2);
}

TEST(OtlpResponse, ProtobufPartialSuccessIsDecoded) {
  // ExportTraceServiceResponse{partial_success{rejected_spans: 3, error_message: "bad"}}
  const std::string inner = std::string(
      "\x08\x03\x12\x03"
      "bad",
      7);
  const std::string body = std::string("\x0a") + char(inner.size()) + inner;
  const auto r = decode_otlp_response(body, otlp_protocol::http_protobuf);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->rejected_spans, 3);
  EXPECT_EQ(r->error_message, "bad");
}

TEST(OtlpResponse, EmptyOrUnknownFieldsMeanFullSuccess) {
  EXPECT_EQ(decode_otlp_response("", otlp_protocol::http_protobuf), otlp_partial_success{});
  EXPECT_EQ(decode_otlp_response(std::string("\x10\x05", 2), otlp_protocol::http_protobuf), otlp_partial_success{});
  EXPECT_EQ(decode_otlp_response("", otlp_protocol::http_json), otlp_partial_success{});
  EXPECT_EQ(decode_otlp_response("{}", otlp_protocol::http_json), otlp_partial_success{});
}

TEST(OtlpResponse, GarbageIsNotASuccessAnswer) {
  EXPECT_FALSE(decode_otlp_response("\x0a\x10short", otlp_protocol::http_protobuf));
  EXPECT_FALSE(decode_otlp_response(std::string("\x0b", 1), otlp_protocol::http_protobuf));  // group
  EXPECT_FALSE(decode_otlp_response("<html>oops</html>", otlp_protocol::http_json));
  EXPECT_FALSE(decode_otlp_response(R"({"partialSuccess":{"rejectedSpans":"x"}})", otlp_protocol::http_json));
  EXPECT_FALSE(decode_otlp_response(R"({"partialSuccess":5})", otlp_protocol::http_json));
}

TEST(OtlpResponse, JsonPartialSuccessAcceptsStringOrNumberAndBothFieldNameStyles) {
  auto a =
      decode_otlp_response(R"({"partialSuccess":{"rejectedSpans":"2","errorMessage":"m"}})", otlp_protocol::http_json);
  ASSERT_TRUE(a);
  EXPECT_EQ(a->rejected_spans, 2);
  EXPECT_EQ(a->error_message, "m");
  auto b = decode_otlp_response(R"({"partial_success":{"rejected_spans":4}})", otlp_protocol::http_json);
  ASSERT_TRUE(b);
  EXPECT_EQ(b->rejected_spans, 4);
}

TEST(OtlpResponse, ErrorStatusMessageIsDecoded) {
  EXPECT_EQ(decode_otlp_error_message(R"({"code":3,"message":"invalid"})", otlp_protocol::http_json), "invalid");
  const std::string status = std::string("\x08\x03\x12\x07invalid", 11);
  EXPECT_EQ(decode_otlp_error_message(status, otlp_protocol::http_protobuf), "invalid");
  EXPECT_EQ(decode_otlp_error_message("garbage\xff", otlp_protocol::http_protobuf), "");
}

}  // namespace
