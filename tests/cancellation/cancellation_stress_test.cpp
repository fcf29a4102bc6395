// Cancellation under concurrency: cancel racing with registration and with completion on four
// threads, and many live contexts with deadlines.
//
// Sizes: ASYNCCTX_STRESS=long (scripts/test.sh --long) runs the 100,000 operations and
// contexts of the issue; otherwise 10,000 operations (TSan on a shared 2-core machine) and
// 100,000 contexts.
#include <asyncctx/after_cancel.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/detail/deadline_timer.hpp>
#include <asyncctx/snapshot.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;

bool long_mode() {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  return mode != nullptr && std::strcmp(mode, "long") == 0;
}

// One operation: a cancellable context, an after_cancel registration that marks it
// "cancelled", a completion that marks it "completed" by unregistering, and a child context
// with a registration of its own that is cancelled through the parent.
struct operation {
  asyncctx::cancel_handle handle;
  std::optional<asyncctx::snapshot> context;
  asyncctx::after_cancel_handle registration;
  std::atomic<bool> registered{false};
  std::atomic<int> cancelled_runs{0};
  std::atomic<int> completed{0};
  asyncctx::cancel_handle child;
  asyncctx::after_cancel_handle child_registration;
  std::optional<asyncctx::snapshot> child_context;
  std::atomic<int> child_runs{0};
};

TEST(CancellationStress, CancelRacingWithRegistrationAndCompletionOnFourThreads) {
  const int total = long_mode() ? 100'000 : 10'000;
  constexpr int batch = 500;
  for (int done = 0; done < total; done += batch) {
    std::vector<std::unique_ptr<operation>> ops(batch);
    for (auto& op : ops) {
      op = std::make_unique<operation>();
      asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
        op->handle = h;
        op->context.emplace();
      });
    }
    std::barrier start(4);
    // Registers the operation's callback in its context.
    std::thread registrar([&] {
      start.arrive_and_wait();
      for (auto& op : ops) {
        op->context->run(
            [&] { op->registration = asyncctx::after_cancel([o = op.get()] { o->cancelled_runs.fetch_add(1); }); });
        op->registered.store(true, std::memory_order_release);
      }
    });
    // Cancels.
    std::thread canceller([&] {
      start.arrive_and_wait();
      for (auto& op : ops) op->handle.cancel();
    });
    // Completes: unregistering wins exactly when the callback has not started.
    std::thread completer([&] {
      start.arrive_and_wait();
      for (auto& op : ops) {
        while (!op->registered.load(std::memory_order_acquire)) std::this_thread::yield();
        if (op->registration.unregister()) op->completed.fetch_add(1);
      }
    });
    // Derives a child context with a registration of its own, while the parent is cancelled.
    std::thread deriver([&] {
      start.arrive_and_wait();
      for (auto& op : ops) {
        op->context->run([&] {
          asyncctx::with_timeout(1h, [&](asyncctx::cancel_handle h) {
            op->child = h;
            op->child_context.emplace();
            op->child_registration = asyncctx::after_cancel([o = op.get()] { o->child_runs.fetch_add(1); });
          });
        });
      }
    });
    registrar.join();
    canceller.join();
    completer.join();
    deriver.join();
    for (auto& op : ops) {
      ASSERT_EQ(op->completed.load() + op->cancelled_runs.load(), 1)
          << "completed " << op->completed << ", cancelled " << op->cancelled_runs;
      ASSERT_EQ(op->child_runs.load(), 1);
      ASSERT_TRUE(op->child.cancelled());
      ASSERT_EQ(op->child.cause(), asyncctx::cancel_errc::cancelled);
    }
  }
}

TEST(CancellationStress, DeadlineTimerCancelsWhileContextsAreMadeAndDroppedOnFourThreads) {
  const int per_thread = long_mode() ? 25'000 : 5'000;
  std::atomic<int> fired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        // Deadlines of 0-3 ms: some pass while the context lives, some after it is gone.
        asyncctx::with_timeout(std::chrono::microseconds((i * 7 + t) % 3000), [&] {
          auto reg = asyncctx::after_cancel([&] { fired.fetch_add(1); });
          if (i % 16 == 0) std::this_thread::sleep_for(1ms);
          if (i % 3 == 0) (void)reg.unregister();
        });
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(fired.load(), 0);
  EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), 0U);
}

TEST(CancellationStress, HundredThousandLiveContextsWithDeadlinesReleaseEveryTimerEntry) {
  constexpr int count = 100'000;
  const std::size_t before = asyncctx::detail::deadline_timer_entries();
  std::vector<asyncctx::snapshot> live;
  std::vector<asyncctx::cancel_handle> handles;
  live.reserve(count);
  handles.reserve(count);
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < count; ++i) {
      asyncctx::with_timeout(1h + std::chrono::milliseconds(i % 997), [&](asyncctx::cancel_handle h) {
        live.emplace_back();
        handles.push_back(h);
      });
    }
    EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before + count);
    // Cancelling completes half of them while their contexts are still held.
    for (int i = 0; i < count; i += 2) handles[i].cancel();
    EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before + count / 2);
    live.clear();
    handles.clear();
    EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before);
  }
  if constexpr (asyncctx::detail::counts_live_frames) EXPECT_EQ(asyncctx::detail::live_frames(), 0);
}

}  // namespace
