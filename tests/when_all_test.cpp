// asyncctx::when_all: results in order, every task awaited, first failure (in argument
// order) rethrown; each task in its own context.
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>
#include <asyncctx/when_all.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <tuple>
#include <variant>
#include <vector>

namespace {

using asyncctx::sync_wait;
using asyncctx::task;
using asyncctx::when_all;

asyncctx::variable<int> id;

task<int> id_after_hop(asyncctx::thread_pool* pool) {
  if (pool != nullptr) co_await asyncctx::schedule_on(pool->get_executor());
  co_return id.value_or(-1);
}

TEST(WhenAll, VariadicReturnsATupleInOrder) {
  auto strings = []() -> task<std::string> { co_return "s"; };
  auto v = []() -> task<> { co_return; };
  auto [a, b, c] = sync_wait(when_all(id_after_hop(nullptr), strings(), v()));
  EXPECT_EQ(a, -1);
  EXPECT_EQ(b, "s");
  EXPECT_EQ(c, std::monostate{});
  auto empty = sync_wait(when_all());
  EXPECT_EQ(std::tuple_size_v<decltype(empty)>, 0U);
}

TEST(WhenAll, EachTaskRunsInItsCreationContext) {
  asyncctx::thread_pool pool(3);
  std::vector<task<int>> tasks;
  for (int i = 0; i < 20; ++i) tasks.push_back(id.run(i, [&] { return id_after_hop(&pool); }));
  auto parent = [&](std::vector<task<int>> ts) -> task<std::vector<int>> {
    auto s = id.set(100);
    auto r = co_await when_all(std::move(ts));
    EXPECT_EQ(id.value_or(-1), 100);
    co_return r;
  };
  const std::vector<int> r = sync_wait(parent(std::move(tasks)));
  ASSERT_EQ(r.size(), 20U);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(r[i], i);
}

TEST(WhenAll, WaitsForAllThenRethrowsTheFirstFailureInOrder) {
  asyncctx::thread_pool pool(2);
  std::atomic<int> finished{0};
  auto slow_ok = [&]() -> task<int> {
    co_await asyncctx::schedule_on(pool.get_executor());
    ++finished;
    co_return 1;
  };
  auto fail = [&](std::string what) -> task<int> {
    co_await asyncctx::schedule_on(pool.get_executor());
    ++finished;
    throw std::runtime_error(what);
  };
  try {
    sync_wait(when_all(slow_ok(), fail("first"), fail("second"), slow_ok()));
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_EQ(std::string(e.what()), "first");
  }
  EXPECT_EQ(finished.load(), 4);
}

TEST(WhenAll, VectorOfVoidAndReferences) {
  std::atomic<int> n{0};
  std::vector<task<>> voids;
  for (int i = 0; i < 5; ++i)
    voids.push_back([](std::atomic<int>& c) -> task<> {
      ++c;
      co_return;
    }(n));
  sync_wait(when_all(std::move(voids)));
  EXPECT_EQ(n.load(), 5);
  int x = 0;
  auto ref = [](int& v) -> task<int&> { co_return v; };
  auto [r] = sync_wait(when_all(ref(x)));
  EXPECT_EQ(&r.get(), &x);
  std::vector<task<int>> none;
  EXPECT_TRUE(sync_wait(when_all(std::move(none))).empty());
}

}  // namespace
