// asyncctx::thread_pool: every task runs in its submitter's context; workers are back in
// the empty context after each task.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <exception>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/exception_text.hpp"
#include "support/misuse_recorder.hpp"
#include "support/tracked.hpp"

namespace {

TEST(ThreadPool, TaskRunsInTheSubmittersContext) {
  asyncctx::thread_pool pool(2);
  asyncctx::variable<int> v;
  auto seen = v.run(5, [&] { return pool.submit([&] { return v.value_or(-1); }); });
  EXPECT_EQ(seen.get(), 5);
}

TEST(ThreadPool, WorkerHoldsNoContextAfterATask) {
  if constexpr (!asyncctx::detail::counts_live_frames) {
    GTEST_SKIP() << "needs ASYNCCTX_COUNT_LIVE_CONTEXTS";
  }
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  v.run(5, [&] { pool.post([&] { auto s = v.set(6); }); });
  pool.wait_idle();
  EXPECT_EQ(asyncctx::detail::live_frames(), 0) << "the idle worker still holds a context";
}

TEST(ThreadPool, ATaskSubmittedFromTheEmptyContextSeesNothingOfThePreviousTask) {
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  v.run(5, [&] { pool.post([] {}); });
  auto next = pool.submit([] { return asyncctx::detail::current_frame() == nullptr; });
  EXPECT_TRUE(next.get());
}

TEST(ThreadPool, ATasksEnterWithNeverReachesTheNextTask) {
  asyncctx::thread_pool pool(1);
  asyncctx::async_local_storage<int> als;
  pool.post([&] { als.enter_with(9); });
  auto next = pool.submit([&] { return als.get_store() == nullptr; });
  EXPECT_TRUE(next.get());
}

TEST(ThreadPool, ATasksLeakedScopeNeverReachesTheNextTask) {
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  auto leaked = std::make_shared<std::optional<asyncctx::scope>>();
  pool.post([&, leaked] { leaked->emplace(v.set(3)); });
  auto next = pool.submit([&] { return v.get() == nullptr; });
  EXPECT_TRUE(next.get());
  // The spent scope changes nothing when it finally goes; silence its report.
  auto previous = asyncctx::set_error_handler([](const asyncctx::error_report&) {});
  leaked->reset();
  asyncctx::set_error_handler(previous);
}

TEST(ThreadPool, SubmitPropagatesTheResult) {
  asyncctx::thread_pool pool(2);
  EXPECT_EQ(pool.submit([] { return std::string("done"); }).get(), "done");
}

TEST(ThreadPool, SubmitOfAVoidTaskCompletes) {
  asyncctx::thread_pool pool(1);
  bool ran = false;
  pool.submit([&] { ran = true; }).get();
  EXPECT_TRUE(ran);
}

TEST(ThreadPool, SubmitPropagatesTheException) {
  asyncctx::thread_pool pool(2);
  auto f = pool.submit([]() -> int { throw std::runtime_error("task failed"); });
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(ThreadPool, PostedExceptionsReachTheErrorChannelInTheTasksContext) {
  asyncctx::variable<int> v;
  asyncctx_test::error_recorder recorder(asyncctx::error_kind::pool_task,
                                         [&] { return std::to_string(v.value_or(-1)); });
  {
    asyncctx::thread_pool pool(2);
    v.run(12, [&] { pool.post([] { throw std::runtime_error("posted failure"); }); });
    pool.wait_idle();
  }
  const auto reports = recorder.reports();
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_EQ(asyncctx_test::what(reports[0].exception), "posted failure");
  EXPECT_EQ(reports[0].context, "12");
}

TEST(ThreadPool, AWorkerCarriesOnAfterATaskThrows) {
  asyncctx_test::error_recorder recorder(asyncctx::error_kind::pool_task);
  asyncctx::thread_pool pool(1);
  pool.post([] { throw std::runtime_error("x"); });
  EXPECT_EQ(pool.submit([] { return 1; }).get(), 1);
  EXPECT_EQ(recorder.reports().size(), 1U);
}

TEST(ThreadPool, PostOfAnEmptyStdFunctionThrowsInvalidArgument) {
  asyncctx::thread_pool pool(1);
  std::function<void()> empty;
  EXPECT_THROW(pool.post(empty), std::invalid_argument);
}

TEST(ThreadPool, ExecuteIsPost) {
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  std::atomic<int> seen{0};
  v.run(4, [&] { pool.execute([&] { seen = v.value_or(-1); }); });
  pool.wait_idle();
  EXPECT_EQ(seen, 4);
}

TEST(ThreadPool, ExecutorHandleRunsInTheSubmittersContext) {
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  std::atomic<int> seen{0};
  auto ex = pool.get_executor();
  EXPECT_TRUE(ex == pool.get_executor());
  v.run(6, [&] { ex.post([&] { seen += v.value_or(-100); }); });
  v.run(7, [&] { ex.execute([&] { seen += v.value_or(-100); }); });
  pool.wait_idle();
  EXPECT_EQ(seen, 13);
}

TEST(ThreadPool, DestructorRunsWhatIsQueued) {
  std::atomic<int> ran{0};
  {
    asyncctx::thread_pool pool(1);
    for (int i = 0; i < 100; ++i) pool.post([&] { ++ran; });
  }
  EXPECT_EQ(ran, 100);
}

TEST(ThreadPool, ZeroThreadsMeansOne) {
  asyncctx::thread_pool pool(0);
  EXPECT_EQ(pool.size(), 1U);
  EXPECT_EQ(pool.submit([] { return 3; }).get(), 3);
}

TEST(ThreadPool, TasksCanPostFromInsideATask) {
  asyncctx::thread_pool pool(2);
  asyncctx::variable<int> v;
  std::promise<int> inner;
  auto result = inner.get_future();
  v.run(11, [&] { pool.post([&] { pool.post([&] { inner.set_value(v.value_or(-1)); }); }); });
  EXPECT_EQ(result.get(), 11);
}

TEST(ThreadPool, ATasksContextIsReleasedWhenTheTaskIsDone) {
  int destroyed = 0;
  asyncctx::variable<asyncctx_test::tracked> v;
  asyncctx::thread_pool pool(1);
  std::promise<void> gate;
  auto opened = gate.get_future().share();
  v.run(asyncctx_test::tracked(1, &destroyed), [&] { pool.post([opened] { opened.wait(); }); });
  EXPECT_EQ(destroyed, 0) << "the queued task holds the context";
  gate.set_value();
  pool.wait_idle();
  EXPECT_EQ(destroyed, 1);
}

TEST(ThreadPool, EachOfManyTasksSeesItsOwnSubmittersValue) {
  asyncctx::thread_pool pool(2);
  asyncctx::variable<int> v;
  std::vector<std::future<bool>> results;
  for (int i = 0; i < 1000; ++i) {
    results.push_back(v.run(i, [&] { return pool.submit([&v, i] { return *v.get() == i; }); }));
  }
  int wrong = 0;
  for (auto& r : results) wrong += r.get() ? 0 : 1;
  EXPECT_EQ(wrong, 0);
}

// Destroying a pool as soon as its last job has run is ordinary use (sync_wait on tasks that hop
// through it, then the pool goes out of scope), even while the thread that posted the job is
// still returning from post(). post() must not touch the pool once the job can have run.
// (Under TSan, a notify after the lock is released races with the destructor.)
TEST(ThreadPool, ThePoolMayBeDestroyedAsSoonAsItsLastJobHasRun) {
  for (int round = 0; round < 2000; ++round) {
    std::promise<void> ran;
    std::promise<void> destroyed;
    std::thread poster;
    {
      asyncctx::thread_pool pool(1);
      poster = std::thread([&] {
        pool.post([&] { ran.set_value(); });
        destroyed.get_future().wait();  // the poster outlives the pool, as an io thread would
      });
      ran.get_future().wait();
    }
    destroyed.set_value();
    poster.join();
  }
}

}  // namespace
