// Spans from a tracer provider: parents, ids, sampling, suppression, limits, the span's
// operations and its single end.
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/id_generator.hpp>
#include <asyncctx/trace/suppress.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <unordered_set>
#include <vector>

#include "trace_test_support.hpp"

namespace {

namespace trace = asyncctx::trace;

TEST(Tracer, ARootSpanStartsANewTraceWithTheRandomFlag) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("root");
  EXPECT_TRUE(s.context().is_valid());
  EXPECT_TRUE(s.context().sampled());
  EXPECT_EQ(s.context().flags & trace::trace_flag_random, trace::trace_flag_random);
  EXPECT_TRUE(s.is_recording());
  s.end();
  const auto* d = f.exporter->find("root");
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->parent.is_valid());
  EXPECT_EQ(d->trace, s.context().trace);
  EXPECT_EQ(d->res->attributes.at(0).key, "service.name");
  EXPECT_EQ(d->scope->name, "trace-test");
  EXPECT_EQ(d->scope->version, "1.0");
}

TEST(Tracer, AChildTakesTheCurrentSpanAsParent) {
  trace_test::fixture f;
  trace::span parent = f.tracer.start_span("parent");
  trace::with_span(parent, [&] {
    trace::span child = f.tracer.start_span("child");
    EXPECT_EQ(child.context().trace, parent.context().trace);
  });
  parent.end();
  EXPECT_EQ(f.exporter->find("child")->parent, parent.context().span);
  EXPECT_FALSE(f.exporter->find("child")->parent_is_remote);
}

TEST(Tracer, AnExplicitParentWinsOverTheCurrentSpan) {
  trace_test::fixture f;
  trace::span current = f.tracer.start_span("current");
  trace::span other = f.tracer.start_span("other", {.root = true});
  trace::with_span(current, [&] {
    trace::span child = f.tracer.start_span("child", {.parent = other.context()});
    EXPECT_EQ(child.context().trace, other.context().trace);
  });
  EXPECT_EQ(f.exporter->find("child")->parent, other.context().span);
}

TEST(Tracer, TheRootOptionStartsANewTraceInsideASpan) {
  trace_test::fixture f;
  trace::span current = f.tracer.start_span("current");
  trace::with_span(current, [&] {
    trace::span fresh = f.tracer.start_span("fresh", {.root = true});
    EXPECT_NE(fresh.context().trace, current.context().trace);
  });
}

TEST(Tracer, AChildKeepsItsParentsTracestateAndRandomFlag) {
  trace_test::fixture f;
  trace::span_context remote;
  remote.trace = *trace::trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
  remote.span = *trace::span_id::from_hex("b7ad6b7169203331");
  remote.flags = trace::trace_flag_sampled;  // no random flag
  remote.state = *trace::trace_state::parse("congo=t61rcWkgMzE");
  remote.remote = true;
  trace::span s = f.tracer.start_span("s", {.parent = remote});
  EXPECT_EQ(s.context().flags, trace::trace_flag_sampled);
  EXPECT_EQ(s.context().state.header(), "congo=t61rcWkgMzE");
  s.end();
  EXPECT_TRUE(f.exporter->find("s")->parent_is_remote);
  EXPECT_EQ(f.exporter->find("s")->trace_state, "congo=t61rcWkgMzE");
}

TEST(Span, EndsExactlyOnce) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("once");
  trace::span_ref r = s;
  s.end();
  r.end();
  s.end();
  EXPECT_TRUE(r.has_ended());
  EXPECT_EQ(f.exporter->size(), 1u);
}

TEST(Span, AnUnendedSpanIsEndedWhenItsOwnerIsDestroyed) {
  trace_test::fixture f;
  trace::span_ref r;
  {
    trace::span s = f.tracer.start_span("owned");
    r = s;
    EXPECT_EQ(f.exporter->size(), 0u);
  }
  EXPECT_TRUE(r.has_ended());
  EXPECT_EQ(f.exporter->size(), 1u);
}

TEST(Span, AMovedFromOwnerDoesNotEndTheSpan) {
  trace_test::fixture f;
  trace::span outer;
  {
    trace::span s = f.tracer.start_span("moved");
    outer = std::move(s);
  }
  EXPECT_EQ(f.exporter->size(), 0u);
  outer.end();
  EXPECT_EQ(f.exporter->size(), 1u);
}

TEST(Span, RecordsAttributesEventsLinksStatusAndName) {
  trace_test::fixture f;
  trace::span other = f.tracer.start_span("other");
  trace::span s = f.tracer.start_span(
      "first", {.kind = trace::span_kind::client, .attributes = {{"a", std::int64_t{1}}}, .start_unix_nano = 1000});
  s.set_attribute("s", "text");
  s.set_attribute("i", 7);
  s.set_attribute("d", 2.5);
  s.set_attribute("b", true);
  s.set_attribute("v", std::vector<std::string>{"x", "y"});
  s.set_attribute("a", 2);  // replaces
  s.add_event("ev", {{"k", std::string("v")}}, 1500);
  s.add_link(other.context(), {{"l", true}});
  s.set_status(trace::status_code::error, "boom");
  s.update_name("renamed");
  s.end(2000);
  const auto* d = f.exporter->find("renamed");
  ASSERT_NE(d, nullptr);
  EXPECT_EQ(d->kind, trace::span_kind::client);
  EXPECT_EQ(d->start_unix_nano, 1000u);
  EXPECT_EQ(d->end_unix_nano, 2000u);
  ASSERT_EQ(d->attributes.size(), 6u);
  EXPECT_EQ(std::get<std::int64_t>(d->attributes[0].value), 2);
  EXPECT_EQ(std::get<std::string>(d->attributes[1].value), "text");
  EXPECT_EQ(std::get<std::int64_t>(d->attributes[2].value), 7);
  EXPECT_EQ(std::get<double>(d->attributes[3].value), 2.5);
  EXPECT_EQ(std::get<bool>(d->attributes[4].value), true);
  ASSERT_EQ(d->events.size(), 1u);
  EXPECT_EQ(d->events[0].time_unix_nano, 1500u);
  ASSERT_EQ(d->links.size(), 1u);
  EXPECT_EQ(d->links[0].span, other.context().span);
  EXPECT_EQ(d->status, trace::status_code::error);
  EXPECT_EQ(d->status_message, "boom");
}

TEST(Span, ChangesAfterTheEndAreIgnored) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("done");
  s.end();
  EXPECT_FALSE(s.is_recording());
  s.set_attribute("late", 1);
  s.add_event("late");
  s.update_name("late");
  EXPECT_TRUE(f.exporter->find("done")->attributes.empty());
  EXPECT_TRUE(f.exporter->find("done")->events.empty());
}

TEST(Span, StatusOkIsFinalAndUnsetChangesNothing) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("status");
  s.set_status(trace::status_code::error, "first");
  s.set_status(trace::status_code::unset);
  s.set_status(trace::status_code::ok, "ignored message");
  s.set_status(trace::status_code::error, "too late");
  s.end();
  EXPECT_EQ(f.exporter->find("status")->status, trace::status_code::ok);
  EXPECT_EQ(f.exporter->find("status")->status_message, "");
}

TEST(Span, LimitsCountWhatTheyDrop) {
  trace_test::fixture f(nullptr, trace::span_limits{.max_attributes = 2, .max_events = 1, .max_links = 1});
  trace::span other = f.tracer.start_span("other");
  trace::span s = f.tracer.start_span("limited");
  for (int i = 0; i < 5; ++i) {
    s.set_attribute("k" + std::to_string(i), i);
    s.add_event("e");
    s.add_link(other.context());
  }
  s.end();
  const auto* d = f.exporter->find("limited");
  EXPECT_EQ(d->attributes.size(), 2u);
  EXPECT_EQ(d->dropped_attributes, 3u);
  EXPECT_EQ(d->dropped_events, 4u);
  EXPECT_EQ(d->dropped_links, 4u);
}

TEST(Span, AnEmptyHandleAcceptsEveryCall) {
  trace::span_ref r;
  r.set_attribute("a", 1);
  r.add_event("e");
  r.set_status(trace::status_code::error);
  r.end();
  EXPECT_FALSE(r.context().is_valid());
  EXPECT_FALSE(r.is_recording());
}

TEST(Span, ConcurrentChangesAndEndsAreSafeAndEndOnce) {
  trace_test::fixture f;
  for (int round = 0; round < 50; ++round) {
    trace::span s = f.tracer.start_span("race");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([r = trace::span_ref(s), t] {
        for (int i = 0; i < 50; ++i) {
          r.set_attribute("t" + std::to_string(t), i);
          r.add_event("e");
        }
        r.end();
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(f.exporter->size(), 50u);
}

TEST(Suppress, StartSpanInsideIsNonRecordingAndCarriesTheParent) {
  trace_test::fixture f;
  trace::span parent = f.tracer.start_span("parent");
  trace::with_span(parent, [&] {
    EXPECT_FALSE(trace::is_suppressed());
    trace::suppress([&] {
      EXPECT_TRUE(trace::is_suppressed());
      trace::span s = f.tracer.start_span("suppressed");
      EXPECT_FALSE(s.is_recording());
      EXPECT_EQ(s.context().span, parent.context().span);
    });
    auto scope = trace::suppress_scope();
    EXPECT_TRUE(trace::suppressed());
  });
  parent.end();
  EXPECT_EQ(f.exporter->find("suppressed"), nullptr);
  EXPECT_EQ(f.exporter->size(), 1u);
}

TEST(Sampling, ADroppedSpanIsNonRecordingButHasItsOwnSpanId) {
  trace_test::fixture f(trace::always_off_sampler());
  trace::span s = f.tracer.start_span("dropped");
  EXPECT_FALSE(s.is_recording());
  EXPECT_TRUE(s.context().is_valid());
  EXPECT_FALSE(s.context().sampled());
  s.end();
  EXPECT_EQ(f.exporter->size(), 0u);
}

TEST(Sampling, ParentBasedFollowsARemoteParentsSampledFlag) {
  trace_test::fixture f;  // the default: parent-based, root always on
  trace::span_context remote;
  remote.trace = trace::generate_trace_id();
  remote.span = trace::generate_span_id();
  remote.remote = true;
  remote.flags = 0;
  EXPECT_FALSE(f.tracer.start_span("not", {.parent = remote}).is_recording());
  remote.flags = trace::trace_flag_sampled;
  EXPECT_TRUE(f.tracer.start_span("yes", {.parent = remote}).is_recording());
}

TEST(Sampling, ParentBasedFollowsALocalParentsSampledFlag) {
  trace_test::fixture f(trace::parent_based_sampler(trace::always_off_sampler()));
  trace::span root = f.tracer.start_span("root");
  EXPECT_FALSE(root.context().sampled());
  trace::with_span(root, [&] { EXPECT_FALSE(f.tracer.start_span("child").context().sampled()); });
  trace::parent_based_options o;
  o.local_parent_not_sampled = trace::always_on_sampler();
  trace_test::fixture g(trace::parent_based_sampler(trace::always_off_sampler(), o));
  trace::span root2 = g.tracer.start_span("root");
  trace::with_span(root2, [&] { EXPECT_TRUE(g.tracer.start_span("child").context().sampled()); });
}

trace::trace_id id_with_randomness(std::uint64_t r56) {
  trace::trace_id id;
  id.bytes[0] = 1;
  for (int i = 15; i >= 9; --i) {
    id.bytes[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(r56);
    r56 >>= 8;
  }
  return id;
}

bool sampled(const trace::sampler& s, const trace::trace_id& id) {
  return s.should_sample(nullptr, id, "x", trace::span_kind::internal, {}, {}).decision ==
         trace::sampling_decision::record_and_sample;
}

TEST(Sampling, TraceIdRatioComparesTheRightmost56BitsWithTheRejectionThreshold) {
  const auto half = trace::trace_id_ratio_sampler(0.5);
  constexpr std::uint64_t threshold = std::uint64_t{1} << 55;  // (1 - 0.5) * 2^56
  EXPECT_FALSE(sampled(*half, id_with_randomness(threshold - 1)));
  EXPECT_TRUE(sampled(*half, id_with_randomness(threshold)));
  EXPECT_TRUE(sampled(*half, id_with_randomness((std::uint64_t{1} << 56) - 1)));
  // Bytes 0..8 do not take part.
  trace::trace_id other = id_with_randomness(threshold);
  other.bytes[8] = 0xff;
  other.bytes[0] = 0xff;
  EXPECT_TRUE(sampled(*half, other));
  EXPECT_EQ(half->description(), "TraceIdRatioBased{0.500000}");
}

TEST(Sampling, TraceIdRatioIsMonotonicAndHasTheRightExtremes) {
  const auto none = trace::trace_id_ratio_sampler(0);
  const auto all = trace::trace_id_ratio_sampler(1);
  const auto low = trace::trace_id_ratio_sampler(0.1);
  const auto high = trace::trace_id_ratio_sampler(0.3);
  int low_count = 0;
  for (int i = 0; i < 20000; ++i) {
    const trace::trace_id id = trace::generate_trace_id();
    EXPECT_FALSE(sampled(*none, id));
    EXPECT_TRUE(sampled(*all, id));
    if (sampled(*low, id)) {
      ++low_count;
      EXPECT_TRUE(sampled(*high, id)) << "a trace sampled at 0.1 is sampled at 0.3";
    }
  }
  EXPECT_NEAR(low_count, 2000, 300);
}

TEST(Sampling, TraceIdRatioIgnoresTheParent) {
  trace_test::fixture f(trace::trace_id_ratio_sampler(1.0));
  trace::span_context remote;
  remote.trace = trace::generate_trace_id();
  remote.span = trace::generate_span_id();
  remote.remote = true;
  EXPECT_TRUE(f.tracer.start_span("child", {.parent = remote}).is_recording());
}

TEST(Ids, AreNonZeroAndUnique) {
  std::unordered_set<std::string> spans, traces;
  for (int i = 0; i < 20000; ++i) {
    const auto s = trace::generate_span_id();
    const auto t = trace::generate_trace_id();
    EXPECT_TRUE(s.is_valid());
    EXPECT_TRUE(t.is_valid());
    EXPECT_TRUE(spans.insert(s.to_hex()).second);
    EXPECT_TRUE(traces.insert(t.to_hex()).second);
  }
}

TEST(Ids, AreUniqueAcrossThreads) {
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) got[static_cast<std::size_t>(t)].push_back(trace::generate_span_id().to_hex());
    });
  for (auto& t : threads) t.join();
  std::unordered_set<std::string> all;
  for (auto& v : got)
    for (auto& s : v) EXPECT_TRUE(all.insert(s).second);
}

TEST(TracerProvider, AfterShutdownSpansAreNonRecording) {
  trace_test::fixture f;
  EXPECT_TRUE(f.provider->shutdown());
  EXPECT_TRUE(f.provider->shutdown());
  EXPECT_FALSE(f.tracer.start_span("late").is_recording());
}

TEST(TracerProvider, TheGlobalProviderServesStartSpan) {
  EXPECT_FALSE(trace::start_span("no provider").is_recording());
  auto exporter = std::make_shared<trace_test::memory_exporter>();
  trace::tracer_provider_options o;
  o.processors.push_back(std::make_shared<trace::simple_span_processor>(exporter));
  trace::set_tracer_provider(std::make_shared<trace::tracer_provider>(std::move(o)));
  trace::start_span("global").end();
  trace::set_tracer_provider(nullptr);
  EXPECT_EQ(exporter->size(), 1u);
  EXPECT_EQ(exporter->spans().at(0).scope->name, "asyncctx");
}

TEST(TracerProvider, ADefaultTracerMakesNonRecordingSpans) {
  trace::tracer t;
  trace::span s = t.start_span("x");
  EXPECT_FALSE(s.is_recording());
}

TEST(TracerProvider, TheDefaultResourceNamesAnUnknownService) {
  const trace::resource r = trace::default_resource();
  EXPECT_EQ(r.attributes.at(0).key, "service.name");
  EXPECT_EQ(std::get<std::string>(r.attributes.at(0).value), "unknown_service");
}

}  // namespace
