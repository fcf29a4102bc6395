// Cancellation through tasks and pools: cancellation_point, sync_wait and when_all passing
// their context's cancellation on, thread_pool skipping cancelled jobs.
#include <asyncctx/cancellation.hpp>
#include <asyncctx/cancellation_point.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>
#include <asyncctx/when_all.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using asyncctx::cancel_errc;
using asyncctx::cancel_handle;

asyncctx::task<int> checkpoint() {
  co_await asyncctx::cancellation_point();
  co_return 1;
}

TEST(CancellationPoint, GoesOnInATaskWhoseContextIsNotCancelled) {
  EXPECT_EQ(asyncctx::sync_wait(checkpoint()), 1);
  asyncctx::with_timeout(1h, [] { EXPECT_EQ(asyncctx::sync_wait(checkpoint()), 1); });
}

TEST(CancellationPoint, ThrowsCancelledErrorWithTheCauseInACancelledTask) {
  asyncctx::with_cancel([](cancel_handle h) {
    auto t = checkpoint();
    h.cancel(cancel_errc::client_gone);
    try {
      asyncctx::sync_wait(std::move(t));
      ADD_FAILURE() << "no exception";
    } catch (const asyncctx::cancelled_error& e) {
      EXPECT_EQ(e.cause(), cancel_errc::client_gone);
    }
  });
}

TEST(SyncWait, PassesItsContextsCancellationToATaskMadeElsewhere) {
  auto t = checkpoint();  // made outside any cancellable context
  asyncctx::with_timeout(-1s, [&] { EXPECT_THROW(asyncctx::sync_wait(std::move(t)), asyncctx::cancelled_error); });
}

asyncctx::task<std::chrono::steady_clock::time_point> deadline_seen() {
  co_return asyncctx::current_deadline().value_or(std::chrono::steady_clock::time_point{});
}

TEST(SyncWait, PassesItsContextsDeadlineToATaskMadeElsewhere) {
  auto t = deadline_seen();
  asyncctx::with_timeout(1h, [&] {
    const auto expected = *asyncctx::current_deadline();
    EXPECT_EQ(asyncctx::sync_wait(std::move(t)), expected);
  });
}

TEST(SyncWait, CancellingTheCallerLaterReachesTheRunningTask) {
  asyncctx::thread_pool pool(1);
  auto waits_for_cancel = [&]() -> asyncctx::task<std::error_code> {
    co_await asyncctx::schedule_on(pool.get_executor());
    while (!asyncctx::cancelled()) std::this_thread::sleep_for(1ms);
    co_return asyncctx::cause();
  };
  auto t = waits_for_cancel();
  asyncctx::with_cancel([&](cancel_handle h) {
    std::thread canceller([h] {
      std::this_thread::sleep_for(20ms);
      h.cancel();
    });
    EXPECT_EQ(asyncctx::sync_wait(std::move(t)), cancel_errc::cancelled);
    canceller.join();
  });
}

TEST(WhenAll, PassesItsContextsCancellationToEveryChild) {
  asyncctx::thread_pool pool(2);
  auto child = [&]() -> asyncctx::task<std::error_code> {
    co_await asyncctx::schedule_on(pool.get_executor());
    while (!asyncctx::cancelled()) std::this_thread::sleep_for(1ms);
    co_return asyncctx::cause();
  };
  std::vector<asyncctx::task<std::error_code>> children;
  children.push_back(child());
  children.push_back(child());
  auto a = child();
  auto b = child();
  asyncctx::with_timeout(30ms, [&] {
    auto results = asyncctx::sync_wait(asyncctx::when_all(std::move(children)));
    for (auto& r : results) EXPECT_EQ(r, cancel_errc::deadline_exceeded);
    auto [ra, rb] = asyncctx::sync_wait(asyncctx::when_all(std::move(a), std::move(b)));
    EXPECT_EQ(ra, cancel_errc::deadline_exceeded);
    EXPECT_EQ(rb, cancel_errc::deadline_exceeded);
  });
}

TEST(WhenAll, ACancelledChildNeverCancelsItsSiblingsOrTheCaller) {
  auto cancels_itself = []() -> asyncctx::task<bool> {
    co_return asyncctx::with_cancel([](cancel_handle h) {
      h.cancel();
      return asyncctx::cancelled();
    });
  };
  auto looks = []() -> asyncctx::task<bool> { co_return asyncctx::cancelled(); };
  asyncctx::with_cancel([&] {
    auto [x, y] = asyncctx::sync_wait(asyncctx::when_all(cancels_itself(), looks()));
    EXPECT_TRUE(x);
    EXPECT_FALSE(y);
    EXPECT_FALSE(asyncctx::cancelled());
  });
}

TEST(ThreadPool, SkipsAJobWhoseContextIsAlreadyCancelled) {
  asyncctx::thread_pool pool(1);
  std::atomic<int> ran{0};
  std::future<int> f;
  asyncctx::with_cancel([&](cancel_handle h) {
    h.cancel(cancel_errc::deadline_exceeded);
    pool.post([&] { ran.fetch_add(1); });
    f = pool.submit([&] {
      ran.fetch_add(1);
      return 5;
    });
  });
  pool.wait_idle();
  EXPECT_EQ(ran.load(), 0);
  try {
    f.get();
    ADD_FAILURE() << "no exception";
  } catch (const asyncctx::cancelled_error& e) {
    EXPECT_EQ(e.cause(), cancel_errc::deadline_exceeded);
  }
  // Outside the cancelled context the pool runs as before.
  EXPECT_EQ(pool.submit([] { return 6; }).get(), 6);
}

TEST(ThreadPool, AJobThatStartedBeforeTheCancellationSeesItThroughCancelled) {
  asyncctx::thread_pool pool(1);
  std::promise<void> started;
  std::future<bool> saw;
  asyncctx::with_cancel([&](cancel_handle h) {
    saw = pool.submit([&] {
      started.set_value();
      while (!asyncctx::cancelled()) std::this_thread::sleep_for(1ms);
      return asyncctx::cause() == cancel_errc::cancelled;
    });
    started.get_future().wait();
    h.cancel();
  });
  EXPECT_TRUE(saw.get());
}

}  // namespace

namespace {

TEST(ThreadPool, TheExecutorStillResumesATaskWhoseContextIsCancelled) {
  // A task's resumption goes through the executor: skipping it would leave the task suspended
  // for ever; it must run and meet its cancellation itself.
  asyncctx::thread_pool pool(1);
  auto hop = [&]() -> asyncctx::task<int> {
    co_await asyncctx::schedule_on(pool.get_executor());
    co_await asyncctx::cancellation_point();
    co_return 1;
  };
  asyncctx::with_timeout(0s, [&] { EXPECT_THROW(asyncctx::sync_wait(hop()), asyncctx::cancelled_error); });
}

}  // namespace
