// asyncctx::sync_wait: blocks until the task is done, returns its result or rethrows, and
// leaves the calling thread's context as it was.
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <thread>

namespace {

using asyncctx::sync_wait;
using asyncctx::task;

asyncctx::variable<int> id;

TEST(SyncWait, ReturnsTheValueOfASynchronousTask) {
  auto t = []() -> task<std::string> { co_return "done"; };
  EXPECT_EQ(sync_wait(t()), "done");
}

TEST(SyncWait, WaitsForATaskThatFinishesOnAnotherThread) {
  asyncctx::thread_pool pool(2);
  auto t = [](asyncctx::thread_pool& p) -> task<std::thread::id> {
    co_await asyncctx::schedule_on(p.get_executor());
    co_return std::this_thread::get_id();
  };
  EXPECT_NE(sync_wait(t(pool)), std::this_thread::get_id());
}

TEST(SyncWait, RethrowsTheTasksException) {
  asyncctx::thread_pool pool(1);
  auto t = [](asyncctx::thread_pool& p) -> task<> {
    co_await asyncctx::schedule_on(p.get_executor());
    throw std::out_of_range("x");
  };
  EXPECT_THROW(sync_wait(t(pool)), std::out_of_range);
}

TEST(SyncWait, LeavesTheCallersContextAlone) {
  asyncctx::thread_pool pool(1);
  id.run(3, [&] {
    auto inner = [](asyncctx::thread_pool& p) -> task<int> {
      auto s = id.set(4);
      co_await asyncctx::schedule_on(p.get_executor());
      co_return *id.get();
    };
    EXPECT_EQ(sync_wait(inner(pool)), 4);
    EXPECT_EQ(*id.get(), 3);
  });
  EXPECT_EQ(id.get(), nullptr);
}

TEST(SyncWait, ReturnsReferencesAndVoid) {
  int x = 1;
  auto r = [](int& v) -> task<int&> { co_return v; };
  EXPECT_EQ(&sync_wait(r(x)), &x);
  auto v = []() -> task<> { co_return; };
  sync_wait(v());
}

}  // namespace
