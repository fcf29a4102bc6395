// The active span is a context variable: it follows coroutines, pool jobs and promise
// reactions, so spans started there get the right parent.
#include <asyncctx/promise.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <gtest/gtest.h>

#include <future>
#include <thread>

#include "trace_test_support.hpp"

namespace {

namespace trace = asyncctx::trace;

TEST(CurrentSpan, IsEmptyOutsideAnySpan) {
  EXPECT_FALSE(trace::current_span());
  EXPECT_FALSE(trace::current_span_context().is_valid());
  EXPECT_FALSE(trace::current_trace_ids().valid);
}

TEST(CurrentSpan, WithSpanMakesItActiveForTheCallOnly) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("s");
  const int r = trace::with_span(s, [&] {
    EXPECT_EQ(trace::current_span(), s);
    return 7;
  });
  EXPECT_EQ(r, 7);
  EXPECT_FALSE(trace::current_span());
}

TEST(CurrentSpan, ActivateLastsUntilTheScopeEnds) {
  trace_test::fixture f;
  trace::span a = f.tracer.start_span("a");
  trace::span b = f.tracer.start_span("b");
  {
    auto sa = trace::activate(a);
    EXPECT_EQ(trace::current_span(), a);
    {
      auto sb = trace::activate(b);
      EXPECT_EQ(trace::current_span(), b);
    }
    EXPECT_EQ(trace::current_span(), a);
  }
  EXPECT_FALSE(trace::current_span());
}

TEST(CurrentSpan, CurrentSpanCanBeChangedThroughTheHandle) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("s");
  trace::with_span(s, [] { trace::current_span().set_attribute("from", "inside"); });
  s.end();
  EXPECT_EQ(f.exporter->find("s")->attributes.at(0).key, "from");
}

TEST(CurrentSpan, TraceIdsGiveHexWithoutAllocation) {
  trace_test::fixture f;
  trace::span s = f.tracer.start_span("s");
  trace::with_span(s, [&] {
    const trace::trace_ids ids = trace::current_trace_ids();
    ASSERT_TRUE(ids.valid);
    const auto t = ids.trace_hex();
    const auto sp = ids.span_hex();
    const auto fl = ids.flags_hex();
    EXPECT_EQ(std::string(t.data(), t.size()), s.context().trace.to_hex());
    EXPECT_EQ(std::string(sp.data(), sp.size()), s.context().span.to_hex());
    EXPECT_EQ(std::string(fl.data(), fl.size()), "03");
  });
}

asyncctx::task<void> grandchild_task(const trace::tracer& t) {
  trace::span grandchild = t.start_span("grandchild");
  co_return;
}

asyncctx::task<trace::span_id> child_task(const trace::tracer& t) {
  trace::span child = t.start_span("child");
  co_await trace::with_span(child, [&] { return grandchild_task(t); });
  co_return child.context().span;
}

asyncctx::task<void> request_task(const trace::tracer& t, asyncctx::thread_pool& pool, trace::span_id& seen_after) {
  co_await asyncctx::schedule_on(pool.get_executor());
  const trace::span_id child = co_await child_task(t);
  EXPECT_NE(child, trace::current_span().context().span);
  seen_after = trace::current_span().context().span;
}

TEST(CurrentSpan, AfterCoAwaitOfAChildTheCallersSpanIsActiveAgain) {
  trace_test::fixture f;
  asyncctx::thread_pool pool(2);
  trace::span_id seen;
  trace::span parent = f.tracer.start_span("parent");
  asyncctx::sync_wait(trace::with_span(parent, [&] { return request_task(f.tracer, pool, seen); }));
  EXPECT_EQ(seen, parent.context().span) << "after co_await child(), the caller's span is active again";
  parent.end();
  const auto* child = f.exporter->find("child");
  const auto* grandchild = f.exporter->find("grandchild");
  ASSERT_TRUE(child && grandchild);
  EXPECT_EQ(child->parent, parent.context().span);
  EXPECT_EQ(grandchild->parent, child->span);
}

TEST(CurrentSpan, ASpanStartedInAPoolJobHasTheSubmittersSpanAsParent) {
  trace_test::fixture f;
  asyncctx::thread_pool pool(2);
  trace::span request = f.tracer.start_span("request");
  std::future<void> done = trace::with_span(request, [&] {
    return pool.submit([&] {
      trace::span job = f.tracer.start_span("job");
      EXPECT_NE(std::this_thread::get_id(), std::thread::id());
    });
  });
  done.get();
  request.end();
  EXPECT_EQ(f.exporter->find("job")->parent, request.context().span);
}

TEST(CurrentSpan, ASpanStartedInAPromiseReactionHasTheRegistrantsSpanAsParent) {
  trace_test::fixture f;
  asyncctx::promise<int> p;
  trace::span registrant = f.tracer.start_span("registrant");
  auto reaction = trace::with_span(registrant, [&] {
    return p.get_future().then([&](int v) {
      trace::span in_reaction = f.tracer.start_span("reaction");
      return v;
    });
  });
  trace::span settler = f.tracer.start_span("settler", {.root = true});
  std::thread([&] { trace::with_span(settler, [&] { p.resolve(1); }); }).join();
  EXPECT_EQ(reaction.get(), 1);
  EXPECT_EQ(f.exporter->find("reaction")->parent, registrant.context().span);
}

TEST(CurrentSpan, SiblingsStartedConcurrentlyEachSeeTheirOwnParent) {
  trace_test::fixture f;
  asyncctx::thread_pool pool(4);
  std::vector<trace::span> parents;
  std::vector<std::future<trace::span_id>> results;
  for (int i = 0; i < 32; ++i) {
    parents.push_back(f.tracer.start_span("p" + std::to_string(i), {.root = true}));
    results.push_back(trace::with_span(parents.back(), [&] {
      return pool.submit([&] {
        std::this_thread::yield();
        return trace::current_span().context().span;
      });
    }));
  }
  for (int i = 0; i < 32; ++i)
    EXPECT_EQ(results[static_cast<std::size_t>(i)].get(), parents[static_cast<std::size_t>(i)].context().span);
}

}  // namespace
