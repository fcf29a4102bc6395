// asyncctx::async_local_storage<T>: the scenarios of Node's test-async-local-storage-*
// tests that need no event loop, ported to C++.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "support/big_stack.hpp"
#include "support/tracked.hpp"

namespace {

using asyncctx::async_local_storage;

TEST(AsyncLocalStorage, GetStoreOutsideAnyRunIsNull) {
  async_local_storage<int> als;
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, RunForwardsItsArguments) {
  async_local_storage<int> als;
  const int r = als.run(
      1,
      [&](int a, const std::string& b, std::unique_ptr<int> c) {
        return *als.get_store() + a + static_cast<int>(b.size()) + *c;
      },
      10, std::string("xyz"), std::make_unique<int>(100));
  EXPECT_EQ(r, 1 + 10 + 3 + 100);
}

TEST(AsyncLocalStorage, ExitForwardsItsArguments) {
  async_local_storage<int> als;
  const int r = als.run(
      1, [&] { return als.exit([&](int a, int b) { return (als.get_store() == nullptr ? 1000 : 0) + a + b; }, 2, 3); });
  EXPECT_EQ(r, 1005);
}

TEST(AsyncLocalStorage, BindForwardsArgumentsAndResult) {
  async_local_storage<int> als;
  auto bound = als.run(7, [] { return async_local_storage<int>::bind([](int a, int b) { return a * b; }); });
  EXPECT_EQ(bound(6, 7), 42);
}

TEST(AsyncLocalStorage, BindRunsInTheBindTimeContext) {
  async_local_storage<int> als;
  std::function<int()> bound;
  als.run(1, [&] { bound = async_local_storage<int>::bind([&] { return *als.get_store(); }); });
  als.run(2, [&] { EXPECT_EQ(bound(), 1); });
}

TEST(AsyncLocalStorage, BindOfAnEmptyStdFunctionThrowsInvalidArgument) {
  std::function<int(int)> empty;
  EXPECT_THROW(async_local_storage<int>::bind(empty), std::invalid_argument);
}

TEST(AsyncLocalStorage, SnapshotTakenInRun123AndInvokedInRun321Sees123) {
  async_local_storage<int> als;
  auto runner = als.run(123, [] { return async_local_storage<int>::snapshot(); });
  const int seen = als.run(321, [&] { return runner.run([&] { return *als.get_store(); }); });
  EXPECT_EQ(seen, 123);
}

void nest(async_local_storage<int>& als, int i, int depth, int& deepest, int& mismatches) {
  if (i == depth) {
    deepest = *als.get_store();
    return;
  }
  als.run(i, [&] {
    if (*als.get_store() != i) ++mismatches;
    nest(als, i + 1, depth, deepest, mismatches);
    if (*als.get_store() != i) ++mismatches;
  });
}

TEST(AsyncLocalStorage, TenThousandNestedRunsSeeTheirOwnStores) {
  async_local_storage<int> als;
  int deepest = -1;
  int mismatches = 0;
  bool ended_empty = false;
  asyncctx_test::run_on_big_stack([&] {
    nest(als, 0, 10'000, deepest, mismatches);
    ended_empty = als.get_store() == nullptr;
  });
  EXPECT_TRUE(ended_empty);
  EXPECT_EQ(deepest, 9'999);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, ExitInsideRunHundredTimesNeverLeaks) {
  async_local_storage<int> als;
  for (int i = 0; i < 100; ++i) {
    als.run(i, [&] {
      als.exit([&] { EXPECT_EQ(als.get_store(), nullptr); });
      ASSERT_NE(als.get_store(), nullptr);
      EXPECT_EQ(*als.get_store(), i);
    });
    EXPECT_EQ(als.get_store(), nullptr);
  }
}

TEST(AsyncLocalStorage, NestedRunAndExitRestore) {
  async_local_storage<std::string> als;
  als.run("outer", [&] {
    EXPECT_EQ(*als.get_store(), "outer");
    als.exit([&] {
      EXPECT_EQ(als.get_store(), nullptr);
      als.run("inner", [&] { EXPECT_EQ(*als.get_store(), "inner"); });
      EXPECT_EQ(als.get_store(), nullptr);
    });
    EXPECT_EQ(*als.get_store(), "outer");
    als.run("inner", [&] {
      als.exit([&] { EXPECT_EQ(als.get_store(), nullptr); });
      EXPECT_EQ(*als.get_store(), "inner");
    });
    EXPECT_EQ(*als.get_store(), "outer");
  });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, ExitHidesOnlyItsOwnStorage) {
  async_local_storage<int> a;
  async_local_storage<int> b;
  a.run(1, [&] {
    b.run(2, [&] {
      a.exit([&] {
        EXPECT_EQ(a.get_store(), nullptr);
        EXPECT_EQ(*b.get_store(), 2);
      });
    });
  });
}

TEST(AsyncLocalStorage, TwoInstancesNeverMix) {
  async_local_storage<int> a;
  async_local_storage<int> b;
  a.run(1, [&] {
    EXPECT_EQ(b.get_store(), nullptr);
    b.run(2, [&] {
      EXPECT_EQ(*a.get_store(), 1);
      EXPECT_EQ(*b.get_store(), 2);
    });
    EXPECT_EQ(*a.get_store(), 1);
    EXPECT_EQ(b.get_store(), nullptr);
  });
}

TEST(AsyncLocalStorage, StringStore) {
  async_local_storage<std::string> als;
  als.run("hello", [&] {
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), "hello");
  });
}

TEST(AsyncLocalStorage, StructStoreIsASharedMutableObject) {
  struct request {
    int id = 0;
    std::map<std::string, std::string> fields;
  };
  async_local_storage<request> als;
  als.run(request{.id = 7, .fields = {}}, [&] {
    auto later = async_local_storage<request>::snapshot();
    als.get_store()->fields["user"] = "ada";
    later.run([&] { EXPECT_EQ(als.get_store()->fields.at("user"), "ada"); });
    EXPECT_EQ(als.get_store()->id, 7);
  });
}

TEST(AsyncLocalStorage, AChangeThroughGetStoreIsSeenByDerivedContexts) {
  async_local_storage<int> als;
  asyncctx::variable<int> other;
  als.run(1, [&] {
    other.run(2, [&] { *als.get_store() = 5; });
    EXPECT_EQ(*als.get_store(), 5) << "the derived context shares the store, not a copy";
  });
}

TEST(AsyncLocalStorage, SharedPtrStoreIsSharedWithTheCaller) {
  async_local_storage<std::string> als;
  auto store = std::make_shared<std::string>("a");
  als.run(store, [&] {
    EXPECT_EQ(als.get_store(), store.get());
    *store = "b";
    EXPECT_EQ(*als.get_store(), "b");
    *als.get_store() = "c";
  });
  EXPECT_EQ(*store, "c");
}

TEST(AsyncLocalStorage, SharedPtrStoreLivesWhileTheCallerOrAContextHoldsIt) {
  int destroyed = 0;
  async_local_storage<asyncctx_test::tracked> als;
  std::optional<asyncctx::snapshot> held;
  {
    auto store = std::make_shared<asyncctx_test::tracked>(1, &destroyed);
    als.run(store, [&] { held.emplace(); });
  }
  EXPECT_EQ(destroyed, 0);
  held->run([&] { EXPECT_EQ(als.get_store()->value, 1); });
  held.reset();
  EXPECT_EQ(destroyed, 1);
}

TEST(AsyncLocalStorage, ValueStoreIsDestroyedWithTheLastContextHoldingIt) {
  int destroyed = 0;
  async_local_storage<asyncctx_test::tracked> als;
  std::optional<asyncctx::snapshot> held;
  als.run(asyncctx_test::tracked(1, &destroyed), [&] { held.emplace(); });
  EXPECT_EQ(destroyed, 0);
  held.reset();
  EXPECT_EQ(destroyed, 1);
}

TEST(AsyncLocalStorage, AThrowOutOfRunRestoresTheOuterStore) {
  async_local_storage<int> als;
  als.run(1, [&] {
    EXPECT_THROW(als.run(2, [] { throw std::runtime_error("boom"); }), std::runtime_error);
    EXPECT_EQ(*als.get_store(), 1);
    EXPECT_THROW(als.exit([] { throw std::runtime_error("boom"); }), std::runtime_error);
    EXPECT_EQ(*als.get_store(), 1);
  });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, DisableEmptiesTheStoreNow) {
  async_local_storage<int> als;
  als.run(1, [&] {
    als.disable();
    EXPECT_EQ(als.get_store(), nullptr);
  });
}

TEST(AsyncLocalStorage, DisableEmptiesTheStoreInCallbacksCapturedBefore) {
  async_local_storage<int> als;
  std::function<int*()> captured;
  std::optional<asyncctx::snapshot> snap;
  als.run(1, [&] {
    captured = async_local_storage<int>::bind([&] { return als.get_store(); });
    snap.emplace();
  });
  ASSERT_NE(captured(), nullptr);
  als.disable();
  EXPECT_EQ(captured(), nullptr);
  snap->run([&] { EXPECT_EQ(als.get_store(), nullptr); });
}

TEST(AsyncLocalStorage, RunWorksAgainAfterDisable) {
  async_local_storage<int> als;
  als.run(1, [&] {
    als.disable();
    als.run(2, [&] { EXPECT_EQ(*als.get_store(), 2); });
    EXPECT_EQ(als.get_store(), nullptr);
  });
  als.run(3, [&] { EXPECT_EQ(*als.get_store(), 3); });
}

TEST(AsyncLocalStorage, DisableLeavesOtherStoragesAlone) {
  async_local_storage<int> a;
  async_local_storage<int> b;
  a.run(1, [&] {
    b.run(2, [&] {
      a.disable();
      EXPECT_EQ(a.get_store(), nullptr);
      EXPECT_EQ(*b.get_store(), 2);
    });
  });
}

TEST(AsyncLocalStorage, DisableShowsTheDefaultAgain) {
  async_local_storage<int> als({.name = "", .default_value = 9});
  als.run(1, [&] {
    als.disable();
    ASSERT_NE(als.get_store(), nullptr);
    EXPECT_EQ(*als.get_store(), 9);
  });
}

TEST(AsyncLocalStorage, DisableReleasesTheCurrentThreadsStoreNow) {
  int destroyed = 0;
  async_local_storage<asyncctx_test::tracked> als;
  als.run(asyncctx_test::tracked(1, &destroyed), [&] {
    als.disable();
    EXPECT_EQ(destroyed, 1);
  });
}

TEST(AsyncLocalStorage, DefaultValueIsTheStoreOutsideAnyRun) {
  async_local_storage<std::string> als({.name = "", .default_value = "dflt"});
  ASSERT_NE(als.get_store(), nullptr);
  EXPECT_EQ(*als.get_store(), "dflt");
  als.run("set", [&] { EXPECT_EQ(*als.get_store(), "set"); });
  EXPECT_EQ(*als.get_store(), "dflt");
}

TEST(AsyncLocalStorage, ExitHidesTheDefaultToo) {
  async_local_storage<int> als({.name = "", .default_value = 9});
  als.exit([&] { EXPECT_EQ(als.get_store(), nullptr); });
}

TEST(AsyncLocalStorage, NameIsTheOneGiven) {
  async_local_storage<int> named({.name = "tenant", .default_value = std::nullopt});
  async_local_storage<int> anonymous;
  EXPECT_EQ(named.name(), "tenant");
  EXPECT_EQ(anonymous.name(), "");
}

TEST(AsyncLocalStorage, EnterWithLastsUntilTheEnclosingRunEnds) {
  async_local_storage<int> als;
  als.run(1, [&] {
    asyncctx::snapshot{}.run([&] {
      als.enter_with(2);
      EXPECT_EQ(*als.get_store(), 2);
    });
    EXPECT_EQ(*als.get_store(), 1) << "enter_with never leaks into the caller";
  });
}

TEST(AsyncLocalStorage, EnterWithSharedPtrStore) {
  async_local_storage<int> als;
  auto store = std::make_shared<int>(4);
  asyncctx::snapshot{}.run([&] {
    als.enter_with(store);
    EXPECT_EQ(als.get_store(), store.get());
  });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, EnterWithAtTopLevelLastsForTheThreadAndIsReleasedWhenItExits) {
  int destroyed = 0;
  async_local_storage<asyncctx_test::tracked> als;
  int seen_later = 0;
  std::thread([&] {
    als.enter_with(asyncctx_test::tracked(3, &destroyed));
    seen_later = als.get_store()->value;
  }).join();
  EXPECT_EQ(seen_later, 3);
  EXPECT_EQ(destroyed, 1) << "the thread's context is released when the thread ends";
}

TEST(AsyncLocalStorage, WithScopeRestoresAtScopeEnd) {
  async_local_storage<int> als;
  {
    auto s = als.with_scope(1);
    EXPECT_EQ(*als.get_store(), 1);
  }
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncLocalStorage, WithScopeRestoresOnThrow) {
  async_local_storage<int> als;
  als.run(1, [&] {
    try {
      auto s = als.with_scope(2);
      throw std::runtime_error("boom");
    } catch (const std::runtime_error&) {
    }
    EXPECT_EQ(*als.get_store(), 1);
  });
}

TEST(AsyncLocalStorage, WithScopeNests) {
  async_local_storage<int> als;
  auto a = als.with_scope(1);
  {
    auto b = als.with_scope(2);
    {
      auto c = als.with_scope(3);
      EXPECT_EQ(*als.get_store(), 3);
    }
    EXPECT_EQ(*als.get_store(), 2);
  }
  EXPECT_EQ(*als.get_store(), 1);
}

TEST(AsyncLocalStorage, WithScopeRestoreIsIdempotent) {
  async_local_storage<int> als;
  auto outer = als.with_scope(1);
  auto s = als.with_scope(2);
  s.restore();
  EXPECT_EQ(*als.get_store(), 1);
  s.restore();
  EXPECT_EQ(*als.get_store(), 1);
}

TEST(AsyncLocalStorage, WithScopeRestoresToTheDefault) {
  async_local_storage<int> als({.name = "", .default_value = 9});
  {
    auto s = als.with_scope(1);
    EXPECT_EQ(*als.get_store(), 1);
  }
  ASSERT_NE(als.get_store(), nullptr);
  EXPECT_EQ(*als.get_store(), 9);
}

TEST(AsyncLocalStorage, WithScopeOfASharedPtrStore) {
  async_local_storage<int> als;
  auto store = std::make_shared<int>(1);
  {
    auto s = als.with_scope(store);
    EXPECT_EQ(als.get_store(), store.get());
  }
  EXPECT_EQ(als.get_store(), nullptr);
}

}  // namespace
