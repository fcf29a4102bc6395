// asyncctx::when_any: the first to finish wins; the others run to completion in the
// background in their own contexts, and nothing leaks.
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>
#include <asyncctx/when_any.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <thread>
#include <vector>

namespace {

using asyncctx::sync_wait;
using asyncctx::task;
using asyncctx::when_any;

asyncctx::variable<int> id;

TEST(WhenAny, ASynchronousTaskWins) {
  auto now = [](int v) -> task<int> { co_return v; };
  auto r = sync_wait(when_any(now(1), now(2)));
  EXPECT_EQ(r.index, 0U);
  EXPECT_EQ(r.value, 1);
}

TEST(WhenAny, FirstToFinishWinsAndTheOthersCompleteInTheirContexts) {
  asyncctx::thread_pool pool(2);
  std::promise<void> release_slow;
  std::shared_future<void> gate = release_slow.get_future().share();
  std::atomic<int> slow_done{0};
  std::atomic<int> slow_ok{0};
  auto slow = [&](asyncctx::thread_pool& p) -> task<int> {
    co_await asyncctx::schedule_on(p.get_executor());
    gate.wait();
    co_await asyncctx::schedule_on(p.get_executor());
    if (id.value_or(-1) == 1) ++slow_ok;
    ++slow_done;
    co_return 1;
  };
  auto fast = [&](asyncctx::thread_pool& p) -> task<int> {
    co_await asyncctx::schedule_on(p.get_executor());
    co_return id.value_or(-1);
  };
  std::vector<task<int>> tasks;
  tasks.push_back(id.run(1, [&] { return slow(pool); }));
  tasks.push_back(id.run(2, [&] { return fast(pool); }));
  auto r = id.run(50, [&] {
    auto parent = [](std::vector<task<int>> ts) -> task<asyncctx::when_any_result<int>> {
      auto res = co_await when_any(std::move(ts));
      EXPECT_EQ(id.value_or(-1), 50);
      co_return res;
    };
    return sync_wait(parent(std::move(tasks)));
  });
  EXPECT_EQ(r.index, 1U);
  EXPECT_EQ(r.value, 2);
  release_slow.set_value();
  while (slow_done.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  pool.wait_idle();
  EXPECT_EQ(slow_ok.load(), 1);
}

TEST(WhenAny, TheWinnersExceptionIsRethrownLosersAreDiscarded) {
  asyncctx::thread_pool pool(1);
  auto bad = []() -> task<int> {
    throw std::runtime_error("winner failed");
    co_return 0;
  };
  auto loser = [](asyncctx::thread_pool& p) -> task<int> {
    co_await asyncctx::schedule_on(p.get_executor());
    throw std::logic_error("ignored");
  };
  EXPECT_THROW(sync_wait(when_any(bad(), loser(pool))), std::runtime_error);
  pool.wait_idle();
}

TEST(WhenAny, VoidTasksAndEmptyInput) {
  auto v = []() -> task<> { co_return; };
  EXPECT_EQ(sync_wait(when_any(v(), v())).index, 0U);
  EXPECT_THROW(sync_wait(when_any(std::vector<task<int>>{})), std::invalid_argument);
}

}  // namespace
