// Extraction and injection over carriers (W3C Trace Context Level 2 and Baggage).
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

namespace {

namespace trace = asyncctx::trace;
using trace::header_carrier;

constexpr const char* tp1 = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
constexpr const char* tp2 = "00-0af7651916cd43dd8448eb211c80319d-b7ad6b7169203331-01";

TEST(Propagation, ExtractGivesARemoteParentWithTracestate) {
  header_carrier c;
  c.add("TraceParent", tp1);
  c.add("tracestate", "foo=1");
  c.add("TRACESTATE", "bar=2");
  const auto x = trace::extract(c);
  ASSERT_TRUE(x.parent);
  EXPECT_TRUE(x.parent->remote);
  EXPECT_TRUE(x.parent->sampled());
  EXPECT_EQ(x.parent->trace.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(x.parent->state.header(), "foo=1,bar=2");
}

TEST(Propagation, ADuplicatedTraceparentIsIgnored) {
  header_carrier c;
  c.add("traceparent", tp1);
  c.add("traceparent", tp2);
  c.add("tracestate", "foo=1");
  EXPECT_FALSE(trace::extract(c).parent);
}

TEST(Propagation, AMissingTraceparentGivesNoParent) {
  header_carrier c;
  c.add("tracestate", "foo=1");
  EXPECT_FALSE(trace::extract(c).parent);
}

TEST(Propagation, TracestateIsNotParsedWhenTraceparentFails) {
  header_carrier c;
  c.add("traceparent", "00-00000000000000000000000000000000-b7ad6b7169203331-01");
  c.add("tracestate", "foo=1");
  const auto x = trace::extract(c);
  EXPECT_FALSE(x.parent);
}

TEST(Propagation, AnInvalidTracestateDoesNotAffectTraceparent) {
  header_carrier c;
  c.add("traceparent", tp1);
  c.add("tracestate", "foo=1,foo=2");
  const auto x = trace::extract(c);
  ASSERT_TRUE(x.parent);
  EXPECT_TRUE(x.parent->state.empty());
}

TEST(Propagation, BaggageIsExtractedIndependently) {
  header_carrier c;
  c.add("traceparent", "garbage");
  c.add("baggage", "user=ann");
  c.add("Baggage", "tenant=t%201");
  const auto x = trace::extract(c);
  EXPECT_FALSE(x.parent);
  EXPECT_EQ(*x.baggage.get("tenant"), "t 1");
  EXPECT_EQ(x.baggage.size(), 2u);
}

TEST(Propagation, ExtractAcceptsACallableGetter) {
  std::multimap<std::string, std::string> m{{"traceparent", tp1}};
  const auto x = trace::extract([&](std::string_view name) {
    std::vector<std::string> out;
    for (auto [it, end] = m.equal_range(std::string(name)); it != end; ++it) out.push_back(it->second);
    return out;
  });
  EXPECT_TRUE(x.parent);
}

TEST(Propagation, InjectWritesTheCurrentSpanAndBaggage) {
  header_carrier in;
  in.add("traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  in.add("tracestate", "congo=t61rcWkgMzE");
  in.add("baggage", "user=ann;p");
  const auto x = trace::extract(in);
  header_carrier out;
  trace::with_extracted(x, [&] { trace::inject(out); });
  EXPECT_EQ(out.get_all("traceparent").at(0), "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  EXPECT_EQ(out.get_all("tracestate").at(0), "congo=t61rcWkgMzE");
  EXPECT_EQ(out.get_all("baggage").at(0), "user=ann;p");
}

TEST(Propagation, AnOutgoingRequestCarriesTheClientSpansIdAsParent) {
  trace::tracer_provider provider;
  const trace::tracer t = provider.tracer("test");
  header_carrier in;
  in.add("traceparent", tp1);
  const auto x = trace::extract(in);
  trace::span server = t.start_span("server", {.kind = trace::span_kind::server, .parent = x.parent});
  header_carrier out;
  trace::with_span(server, [&] {
    trace::span client = t.start_span("client", {.kind = trace::span_kind::client});
    trace::with_span(client, [&] { trace::inject(out); });
    const auto sent = trace::parse_traceparent(out.get_all("traceparent").at(0));
    ASSERT_TRUE(sent);
    EXPECT_EQ(sent->trace, x.parent->trace);
    EXPECT_EQ(sent->parent, client.context().span);
    EXPECT_NE(sent->parent, x.parent->span);
  });
}

TEST(Propagation, NothingIsInjectedWithoutASpanOrBaggage) {
  header_carrier out;
  trace::inject(out);
  EXPECT_TRUE(out.fields.empty());
}

TEST(Propagation, FormatsSelectWhatIsExtractedAndInjected) {
  header_carrier in;
  in.add("traceparent", tp1);
  in.add("baggage", "a=1");
  const auto only_baggage = trace::extract(in, trace::baggage_format);
  EXPECT_FALSE(only_baggage.parent);
  EXPECT_EQ(only_baggage.baggage.size(), 1u);
  header_carrier out;
  trace::with_extracted(trace::extract(in), [&] { trace::inject(out, trace::trace_context_format); });
  EXPECT_EQ(out.get_all("baggage").size(), 0u);
  EXPECT_EQ(out.get_all("traceparent").size(), 1u);
}

}  // namespace
