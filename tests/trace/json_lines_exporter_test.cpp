// The JSON-lines exporter: one span per line, every field, escaped so no value breaks a line.
#include <asyncctx/trace/json_lines_exporter.hpp>

#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <fstream>
#include <limits>
#include <sstream>
#include <string>

namespace {

namespace trace = asyncctx::trace;

trace::span_data full_span() {
  trace::span_data d;
  d.trace = *trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  d.span = *trace::span_id::from_hex("b7ad6b7169203331");
  d.parent = *trace::span_id::from_hex("00f067aa0ba902b7");
  d.trace_state = "congo=t61rcWkgMzE";
  d.trace_flags = 3;
  d.name = "GET /x";
  d.kind = trace::span_kind::server;
  d.start_unix_nano = 1700000000000000000ULL;
  d.end_unix_nano = 1700000000100000000ULL;
  d.attributes = {{"s", std::string("v")},
                  {"b", true},
                  {"i", std::int64_t{-5}},
                  {"d", 1.5},
                  {"sa", std::vector<std::string>{"a", "b"}},
                  {"ba", std::vector<bool>{true, false}},
                  {"ia", std::vector<std::int64_t>{1, 2}},
                  {"da", std::vector<double>{0.5}}};
  d.events = {{"ev", 1700000000050000000ULL, {{"k", std::string("v")}}, 0}};
  d.links = {{*trace::trace_id::from_hex("11111111111111111111111111111111"),
              *trace::span_id::from_hex("2222222222222222"),
              "a=1",
              1,
              {{"l", true}},
              0}};
  d.status = trace::status_code::error;
  d.status_message = "boom";
  d.dropped_attributes = 1;
  d.res = std::make_shared<const trace::resource>(trace::resource{{{"service.name", std::string("svc")}}});
  d.scope = std::make_shared<const trace::instrumentation_scope>(trace::instrumentation_scope{"lib", "1.0", {}});
  return d;
}

TEST(JsonLinesExporter, WritesOneLineWithEveryField) {
  EXPECT_EQ(trace::json_lines_exporter::to_json(full_span()),
            R"({"trace_id":"0af7651916cd43dd8448eb211c80319c","span_id":"b7ad6b7169203331",)"
            R"("parent_span_id":"00f067aa0ba902b7","trace_state":"congo=t61rcWkgMzE","flags":3,"name":"GET /x",)"
            R"("kind":"server","start_unix_nano":1700000000000000000,"end_unix_nano":1700000000100000000,)"
            R"("attributes":{"s":"v","b":true,"i":-5,"d":1.5,"sa":["a","b"],"ba":[true,false],"ia":[1,2],"da":[0.5]},)"
            R"("events":[{"name":"ev","time_unix_nano":1700000000050000000,"attributes":{"k":"v"}}],)"
            R"("links":[{"trace_id":"11111111111111111111111111111111","span_id":"2222222222222222",)"
            R"("trace_state":"a=1","flags":1,"attributes":{"l":true}}],"status":{"code":"error","message":"boom"},)"
            R"("dropped_attributes":1,"dropped_events":0,"dropped_links":0,"resource":{"service.name":"svc"},)"
            R"("scope":{"name":"lib","version":"1.0"}})");
}

TEST(JsonLinesExporter, ARootSpanHasAnEmptyParent) {
  trace::span_data d = full_span();
  d.parent = {};
  EXPECT_NE(trace::json_lines_exporter::to_json(d).find(R"("parent_span_id":"")"), std::string::npos);
}

TEST(JsonLinesExporter, NoValueCanBreakALineOrForgeAField) {
  trace::span_data d = full_span();
  d.name = "a\nb\"c\\d\x01\x7f";
  d.attributes = {{"k\"", std::string("\r\n{\"x\":1}")}, {"bad", std::string("\xff\xfe ok \xe2\x9c\x93")}};
  const std::string line = trace::json_lines_exporter::to_json(d);
  EXPECT_EQ(line.find('\n'), std::string::npos);
  EXPECT_EQ(line.find('\r'), std::string::npos);
  EXPECT_NE(line.find(R"("name":"a\nb\"c\\d\u0001\u007f")"), std::string::npos);
  EXPECT_NE(line.find(R"("k\"":"\r\n{\"x\":1}")"), std::string::npos);
  EXPECT_NE(line.find("\"\\ufffd\\ufffd ok \xe2\x9c\x93\""), std::string::npos);
}

TEST(JsonLinesExporter, NonFiniteDoublesAreNull) {
  trace::span_data d = full_span();
  d.attributes = {{"nan", std::numeric_limits<double>::quiet_NaN()}, {"inf", HUGE_VAL}};
  EXPECT_NE(trace::json_lines_exporter::to_json(d).find(R"({"nan":null,"inf":null})"), std::string::npos);
}

TEST(JsonLinesExporter, ExportWritesOneSpanPerLineToTheStream) {
  std::ostringstream out;
  trace::json_lines_exporter e(out);
  const trace::span_data spans[2] = {full_span(), full_span()};
  EXPECT_EQ(e.export_spans(spans), trace::span_exporter::result::success);
  const std::string text = out.str();
  EXPECT_EQ(std::count(text.begin(), text.end(), '\n'), 2);
  EXPECT_EQ(text.substr(0, text.find('\n')), trace::json_lines_exporter::to_json(spans[0]));
  EXPECT_TRUE(e.shutdown(std::chrono::milliseconds(10)));
  EXPECT_EQ(e.export_spans(spans), trace::span_exporter::result::failure) << "nothing is written after shutdown";
}

TEST(JsonLinesExporter, AppendsToAFile) {
  const std::string path = ::testing::TempDir() + "json_lines_exporter_test.jsonl";
  std::remove(path.c_str());
  {
    trace::json_lines_exporter e(path);
    const trace::span_data one = full_span();
    EXPECT_EQ(e.export_spans({&one, 1}), trace::span_exporter::result::success);
    EXPECT_TRUE(e.force_flush(std::chrono::milliseconds(10)));
  }
  std::ifstream in(path);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, trace::json_lines_exporter::to_json(full_span()));
  std::remove(path.c_str());
  EXPECT_THROW(trace::json_lines_exporter("/nonexistent-dir/x.jsonl"), std::runtime_error);
}

}  // namespace
