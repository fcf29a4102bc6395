// asyncctx::spawn: detached tasks run on the executor in their own context; their
// exceptions reach the unhandled-exception handler, in the spawner's context.
#include <asyncctx/error_handler.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

using asyncctx::task;

asyncctx::variable<int> id;

TEST(Spawn, RunsOnTheExecutorInTheTasksContext) {
  asyncctx::thread_pool pool(2);
  std::promise<std::pair<int, std::thread::id>> seen;
  auto t = [](std::promise<std::pair<int, std::thread::id>>& p) -> task<> {
    p.set_value({id.value_or(-1), std::this_thread::get_id()});
    co_return;
  };
  id.run(3, [&] { asyncctx::spawn(pool.get_executor(), t(seen)); });
  auto [v, thread] = seen.get_future().get();
  EXPECT_EQ(v, 3);
  EXPECT_NE(thread, std::this_thread::get_id());
  pool.wait_idle();
}

TEST(Spawn, ExceptionsAreReportedNeverLost) {
  asyncctx::thread_pool pool(1);
  std::promise<std::pair<std::string, int>> reported;
  auto previous = asyncctx::set_error_handler([&](const asyncctx::error_report& r) {
    EXPECT_EQ(r.kind, asyncctx::error_kind::spawned_task);
    try {
      std::rethrow_exception(r.exception);
    } catch (const std::exception& ex) {
      reported.set_value({ex.what(), id.value_or(-1)});
    }
  });
  auto t = [](asyncctx::thread_pool& p) -> task<int> {
    co_await asyncctx::schedule_on(p.get_executor());
    throw std::runtime_error("lost?");
  };
  id.run(9, [&] { asyncctx::spawn(pool.get_executor(), t(pool)); });
  auto [what, ctx] = reported.get_future().get();
  EXPECT_EQ(what, "lost?");
  EXPECT_EQ(ctx, 9);  // the handler runs in the spawner's context
  pool.wait_idle();
  asyncctx::set_error_handler(std::move(previous));
}

TEST(Spawn, InlineSpawnRunsUntilTheFirstSuspension) {
  bool started = false;
  auto t = [](bool& s) -> task<> {
    s = true;
    co_return;
  };
  asyncctx::spawn(t(started));
  EXPECT_TRUE(started);
}

struct dropping_executor {
  template <class F>
  void execute(F&&) const {}  // drops the function
};

TEST(Spawn, DroppedByTheExecutorIsDestroyedUnstarted) {
  bool started = false;
  auto t = [](bool& s) -> task<> {
    s = true;
    co_return;
  };
  id.run(1, [&] { asyncctx::spawn(dropping_executor{}, t(started)); });
  EXPECT_FALSE(started);  // and no frame leaks (checked by the test main)
}

}  // namespace
