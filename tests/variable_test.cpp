// asyncctx::variable<T>: TC39 AsyncContext.Variable semantics (test262 Variable/*).
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include "support/big_stack.hpp"
#include "support/tracked.hpp"

namespace {

using asyncctx_test::tracked;

TEST(Variable, GetOutsideAnyRunReturnsNull) {
  asyncctx::variable<int> v;
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Variable, GetAfterRunReturnsTheOuterValue) {
  asyncctx::variable<int> v;
  EXPECT_EQ(v.get(), nullptr);
  v.run(1, [&] {
    EXPECT_EQ(*v.get(), 1);
    v.run(2, [&] { EXPECT_EQ(*v.get(), 2); });
    EXPECT_EQ(*v.get(), 1);
  });
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Variable, RunForwardsArgumentsAndReturnsTheResult) {
  asyncctx::variable<int> v;
  auto moved = std::make_unique<int>(5);
  const int r = v.run(
      7,
      [&](int a, std::unique_ptr<int> p, const std::string& s) {
        return *v.get() + a + *p + static_cast<int>(s.size());
      },
      10, std::move(moved), std::string("abc"));
  EXPECT_EQ(r, 7 + 10 + 5 + 3);
}

TEST(Variable, RunReturnsAReferenceWhenTheCallbackDoes) {
  asyncctx::variable<int> v;
  int target = 0;
  int& ref = v.run(1, [&]() -> int& { return target; });
  EXPECT_EQ(&ref, &target);
}

TEST(Variable, RunRestoresTheOuterValueAfterTheCallbackThrows) {
  asyncctx::variable<int> v;
  v.run(1, [&] {
    EXPECT_THROW(v.run(2, [&] { throw std::runtime_error("boom"); }), std::runtime_error);
    EXPECT_EQ(*v.get(), 1);
  });
  EXPECT_THROW(v.run(3, [] { throw 42; }), int);
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Variable, DefaultValueIsReturnedWhenUnbound) {
  asyncctx::variable<std::string> v({.name = "", .default_value = "fallback"});
  ASSERT_NE(v.get(), nullptr);
  EXPECT_EQ(*v.get(), "fallback");
  v.run("bound", [&] { EXPECT_EQ(*v.get(), "bound"); });
  EXPECT_EQ(*v.get(), "fallback");
}

TEST(Variable, NameIsTheOneGivenAndEmptyByDefault) {
  asyncctx::variable<int> named({.name = "request-id", .default_value = std::nullopt});
  asyncctx::variable<int> anonymous;
  EXPECT_EQ(named.name(), "request-id");
  EXPECT_EQ(anonymous.name(), "");
}

TEST(Variable, ValueOrReturnsTheBoundValueElseTheFallback) {
  asyncctx::variable<int> v;
  EXPECT_EQ(v.value_or(9), 9);
  v.run(3, [&] { EXPECT_EQ(v.value_or(9), 3); });
}

TEST(Variable, ValueOrPrefersTheDefaultOverTheFallback) {
  asyncctx::variable<int> v({.name = "", .default_value = 4});
  EXPECT_EQ(v.value_or(9), 4);
}

TEST(Variable, UnrelatedVariablesKeepTheirValuesInANestedRun) {
  asyncctx::variable<int> a;
  asyncctx::variable<int> b;
  a.run(1, [&] {
    b.run(2, [&] {
      EXPECT_EQ(*a.get(), 1);
      EXPECT_EQ(*b.get(), 2);
      a.run(3, [&] { EXPECT_EQ(*b.get(), 2); });
      EXPECT_EQ(*a.get(), 1);
    });
    EXPECT_EQ(b.get(), nullptr);
  });
}

TEST(Variable, TwoVariablesOfTheSameTypeNeverMix) {
  asyncctx::variable<int> a;
  asyncctx::variable<int> b;
  a.run(1, [&] {
    EXPECT_EQ(b.get(), nullptr);
    b.run(2, [&] { EXPECT_EQ(*a.get(), 1); });
  });
}

void nest_runs(const asyncctx::variable<int>& v, int i, int depth, int& deepest, int& mismatches) {
  if (i == depth) {
    deepest = *v.get();
    return;
  }
  v.run(i, [&] {
    if (*v.get() != i) ++mismatches;
    nest_runs(v, i + 1, depth, deepest, mismatches);
    if (*v.get() != i) ++mismatches;
  });
}

TEST(Variable, TenThousandNestedRunsSeeTheirOwnValues) {
  asyncctx::variable<int> v;
  int deepest = -1;
  int mismatches = 0;
  bool ended_empty = false;
  asyncctx_test::run_on_big_stack([&] {
    nest_runs(v, 0, 10'000, deepest, mismatches);
    ended_empty = v.get() == nullptr;
  });
  EXPECT_TRUE(ended_empty);
  EXPECT_EQ(deepest, 9'999);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Variable, SetBindsUntilTheScopeEnds) {
  asyncctx::variable<int> v;
  {
    auto s = v.set(5);
    EXPECT_EQ(*v.get(), 5);
    {
      auto inner = v.set(6);
      EXPECT_EQ(*v.get(), 6);
    }
    EXPECT_EQ(*v.get(), 5);
  }
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Variable, RunKeepsTheValueUntilTheLastContextHoldingItGoes) {
  int destroyed = 0;
  asyncctx::variable<tracked> v;
  std::optional<asyncctx::snapshot> first;
  std::optional<asyncctx::snapshot> second;
  v.run(tracked(1, &destroyed), [&] {
    first.emplace();
    second.emplace();
  });
  EXPECT_EQ(destroyed, 0) << "two snapshots still hold the context";
  first.reset();
  EXPECT_EQ(destroyed, 0) << "one snapshot still holds the context";
  second.reset();
  EXPECT_EQ(destroyed, 1) << "the last holder is gone";
}

TEST(Variable, RunDestroysTheValueWhenTheRunEndsIfNothingCapturedIt) {
  int destroyed = 0;
  asyncctx::variable<tracked> v;
  v.run(tracked(1, &destroyed), [&] { EXPECT_EQ(destroyed, 0); });
  EXPECT_EQ(destroyed, 1);
}

TEST(Variable, ADerivedContextKeepsTheValueItInheritedAlive) {
  int destroyed = 0;
  asyncctx::variable<tracked> v;
  asyncctx::variable<int> other;
  std::optional<asyncctx::snapshot> outer;
  std::optional<asyncctx::snapshot> derived;
  v.run(tracked(1, &destroyed), [&] {
    outer.emplace();
    other.run(2, [&] { derived.emplace(); });
  });
  outer.reset();
  EXPECT_EQ(destroyed, 0) << "the derived context still holds the value";
  derived->run([&] { EXPECT_EQ(v.get()->value, 1); });
  derived.reset();
  EXPECT_EQ(destroyed, 1);
}

TEST(Variable, AnOverridingContextDoesNotKeepTheOverriddenValueAlive) {
  int outer_destroyed = 0;
  int inner_destroyed = 0;
  asyncctx::variable<tracked> v;
  std::optional<asyncctx::snapshot> inner;
  v.run(tracked(1, &outer_destroyed), [&] { v.run(tracked(2, &inner_destroyed), [&] { inner.emplace(); }); });
  EXPECT_EQ(outer_destroyed, 1) << "no context holds the outer value any more";
  EXPECT_EQ(inner_destroyed, 0);
  inner.reset();
  EXPECT_EQ(inner_destroyed, 1);
}

TEST(Variable, SetKeepsTheValueUntilTheScopeAndEveryCaptureAreGone) {
  int destroyed = 0;
  asyncctx::variable<tracked> v;
  std::optional<asyncctx::snapshot> captured;
  {
    auto s = v.set(tracked(3, &destroyed));
    captured.emplace();
    s.restore();
    EXPECT_EQ(destroyed, 0) << "the snapshot still holds the value";
  }
  captured.reset();
  EXPECT_EQ(destroyed, 1);
}

TEST(Variable, AThrowingValueConstructorLeavesTheContextUnchanged) {
  struct throws_on_copy {
    throws_on_copy() = default;
    throws_on_copy(const throws_on_copy&) { throw std::runtime_error("copy"); }
    throws_on_copy(throws_on_copy&&) { throw std::runtime_error("move"); }
  };
  asyncctx::variable<int> a;
  asyncctx::variable<throws_on_copy> v;
  a.run(1, [&] {
    bool called = false;
    EXPECT_THROW(v.run(throws_on_copy{}, [&] { called = true; }), std::runtime_error);
    EXPECT_FALSE(called);
    EXPECT_EQ(*a.get(), 1);
    EXPECT_EQ(v.get(), nullptr);
  });
}

}  // namespace
