// asyncctx::async_resource: Node's AsyncResource.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <utility>

#include "support/tracked.hpp"

namespace {

// Counts destroy events per id for the life of the test.
struct destroy_counter {
  std::vector<asyncctx::async_id> destroyed;
  asyncctx::async_hook hook =
      asyncctx::create_hook({.init = {},
                             .before = {},
                             .after = {},
                             .destroy = [this](asyncctx::async_id i) { destroyed.push_back(i); },
                             .promise_resolve = {}});
  destroy_counter() { hook.enable(); }
};

TEST(AsyncResource, RunInAsyncScopeRunsInTheCreationContext) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::async_resource> r;
  v.run(1, [&] { r.emplace("T"); });
  v.run(2, [&] {
    r->run_in_async_scope([&] { EXPECT_EQ(*v.get(), 1); });
    EXPECT_EQ(*v.get(), 2);
  });
  r->run_in_async_scope([&] { EXPECT_EQ(*v.get(), 1); });
}

TEST(AsyncResource, RunInAsyncScopeForwardsArgumentsAndResult) {
  asyncctx::async_resource r("T");
  auto p = std::make_unique<int>(3);
  EXPECT_EQ(r.run_in_async_scope([](int a, std::unique_ptr<int> q) { return a + *q; }, 4, std::move(p)), 7);
}

TEST(AsyncResource, IdsInsideRunInAsyncScopeAreTheResources) {
  asyncctx::async_resource r("T", 77);
  asyncctx::async_id exec = 0;
  asyncctx::async_id trigger = 0;
  r.run_in_async_scope([&] {
    exec = asyncctx::execution_async_id();
    trigger = asyncctx::trigger_async_id();
  });
  EXPECT_EQ(exec, r.async_id());
  EXPECT_EQ(trigger, 77U);
  EXPECT_EQ(asyncctx::execution_async_id(), 1U);
  EXPECT_EQ(asyncctx::trigger_async_id(), 0U);
}

TEST(AsyncResource, RunInAsyncScopeRestoresIdsAndContextAfterAThrow) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::async_resource> r;
  v.run(1, [&] { r.emplace("T"); });
  v.run(2, [&] {
    EXPECT_THROW(r->run_in_async_scope([] { throw std::runtime_error("x"); }), std::runtime_error);
    EXPECT_EQ(*v.get(), 2);
    EXPECT_EQ(asyncctx::execution_async_id(), 1U);
    EXPECT_EQ(asyncctx::trigger_async_id(), 0U);
  });
}

TEST(AsyncResource, TriggerDefaultsToTheExecutionAsyncId) {
  asyncctx::async_resource top("T");
  EXPECT_EQ(top.trigger_async_id(), 1U);
  top.run_in_async_scope([&] {
    asyncctx::async_resource child("C");
    EXPECT_EQ(child.trigger_async_id(), top.async_id());
  });
}

TEST(AsyncResource, IdsAreUniqueAndNeverTheTopLevelOnes) {
  std::set<asyncctx::async_id> ids;
  for (int i = 0; i < 3000; ++i) {
    asyncctx::async_resource r("T");
    EXPECT_GT(r.async_id(), 1U);
    ids.insert(r.async_id());
  }
  EXPECT_EQ(ids.size(), 3000U);
}

TEST(AsyncResource, TypeIsTheOneGiven) {
  asyncctx::async_resource r("DB_QUERY");
  EXPECT_EQ(r.type(), "DB_QUERY");
}

TEST(AsyncResource, BindRunsInTheResourcesScopeAndForwards) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::async_resource> r;
  v.run(1, [&] { r.emplace("T"); });
  auto bound =
      r->bind([&](int a) { return *v.get() * 100 + a + (asyncctx::execution_async_id() == r->async_id() ? 1000 : 0); });
  EXPECT_EQ(bound(5), 1105);
}

TEST(AsyncResource, BindOfAnEmptyStdFunctionThrowsInvalidArgument) {
  asyncctx::async_resource r("T");
  std::function<void()> empty;
  EXPECT_THROW((void)r.bind(empty), std::invalid_argument);
}

TEST(AsyncResource, DestroyIsEmittedOnceByEmitDestroyThenNotByTheDestructor) {
  destroy_counter counter;
  asyncctx::async_id rid = 0;
  {
    asyncctx::async_resource r("T");
    rid = r.async_id();
    r.emit_destroy();
    EXPECT_EQ(counter.destroyed, (std::vector<asyncctx::async_id>{rid}));
  }
  EXPECT_EQ(counter.destroyed, (std::vector<asyncctx::async_id>{rid}));
}

TEST(AsyncResource, EmitDestroyTwiceEmitsOnce) {
  destroy_counter counter;
  asyncctx::async_resource r("T");
  r.emit_destroy();
  r.emit_destroy();
  EXPECT_EQ(counter.destroyed.size(), 1U);
}

TEST(AsyncResource, TheDestructorEmitsDestroyWhenEmitDestroyWasNotCalled) {
  destroy_counter counter;
  { asyncctx::async_resource r("T"); }
  EXPECT_EQ(counter.destroyed.size(), 1U);
}

TEST(AsyncResource, KeepsItsContextAliveUntilItIsDestroyed) {
  int destroyed = 0;
  asyncctx::variable<asyncctx_test::tracked> v;
  std::optional<asyncctx::async_resource> r;
  v.run(asyncctx_test::tracked(1, &destroyed), [&] { r.emplace("T"); });
  EXPECT_EQ(destroyed, 0);
  r.reset();
  EXPECT_EQ(destroyed, 1);
}

}  // namespace
