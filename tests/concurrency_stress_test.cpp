// Many threads capturing and restoring contexts at once: every hop must see its own value,
// and every frame must be released exactly once (TSan, ASan and the live-context counter).
//
// Hop counts: EightThreadsCaptureAndRestoreSeeTheirOwnValue always runs the 8 x 100,000 hops
// (about 3 s under TSan on 2 cores). The two hand-over tests are slower per hop
// (a mutex, a condition variable, a pool), so CI runs them shorter; ASYNCCTX_STRESS=long runs
// 100,000 hops per thread in every test.
#include <asyncctx/snapshot.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace {

constexpr int thread_count = 8;

int stress_hops(int ci_default) {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  if (mode != nullptr && std::strcmp(mode, "long") == 0) return 100'000;
  return ci_default;
}

struct origin {
  int thread;
  int seq;
};

// Each thread binds its own value, captures it, and restores the capture nested inside the
// context of another thread (shared by all: concurrent counting on the same frames).
TEST(ConcurrencyStress, EightThreadsCaptureAndRestoreSeeTheirOwnValue) {
  const int hops = stress_hops(100'000);
  asyncctx::variable<int> v;
  std::vector<std::optional<asyncctx::snapshot>> contexts(thread_count);
  for (int t = 0; t < thread_count; ++t) {
    v.run(t, [&] { contexts[t].emplace(); });
  }
  std::atomic<int> wrong{0};
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready < thread_count) std::this_thread::yield();
      const asyncctx::snapshot& neighbour = *contexts[(t + 1) % thread_count];
      int local_wrong = 0;
      v.run(t, [&] {
        for (int i = 0; i < hops; ++i) {
          asyncctx::snapshot mine;  // capture
          neighbour.run([&] {       // another thread's context, shared
            if (*v.get() != (t + 1) % thread_count) ++local_wrong;
            mine.run([&] {  // restore the capture
              if (*v.get() != t) ++local_wrong;
            });
            if (*v.get() != (t + 1) % thread_count) ++local_wrong;
          });
          if (*v.get() != t) ++local_wrong;
        }
      });
      wrong += local_wrong;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

// Each hop binds a new value on one thread and hands the only capture to the next thread,
// which runs it and drops it: frames made on one thread die on another.
TEST(ConcurrencyStress, SnapshotsHandedBetweenThreadsSeeTheirSendersValue) {
  const int hops = stress_hops(20'000);
  asyncctx::variable<origin> v;
  struct mailbox {
    std::mutex m;
    std::condition_variable cv;
    std::deque<asyncctx::snapshot> items;
  };
  std::vector<mailbox> boxes(thread_count);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      mailbox& out = boxes[(t + 1) % thread_count];
      mailbox& in = boxes[t];
      const int sender = (t + thread_count - 1) % thread_count;
      int local_wrong = 0;
      int received = 0;
      for (int i = 0; i < hops; ++i) {
        v.run(origin{t, i}, [&] {
          asyncctx::snapshot s;
          std::lock_guard lock(out.m);
          out.items.push_back(std::move(s));
          out.cv.notify_one();
        });
        // Drain what arrived, without waiting, to keep all threads moving.
        std::deque<asyncctx::snapshot> got;
        {
          std::lock_guard lock(in.m);
          got.swap(in.items);
        }
        for (auto& s : got) {
          s.run([&] {
            const origin* o = v.get();
            if (o == nullptr || o->thread != sender || o->seq != received) ++local_wrong;
          });
          ++received;
        }
      }
      while (received < hops) {
        std::deque<asyncctx::snapshot> got;
        {
          std::unique_lock lock(in.m);
          in.cv.wait(lock, [&] { return !in.items.empty(); });
          got.swap(in.items);
        }
        for (auto& s : got) {
          s.run([&] {
            const origin* o = v.get();
            if (o == nullptr || o->thread != sender || o->seq != received) ++local_wrong;
          });
          ++received;
        }
      }
      wrong += local_wrong;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong, 0);
}

// Eight submitters hop through one pool: each task sees its own submitter's value.
TEST(ConcurrencyStress, EightSubmittersHopThroughAPoolWithTheirOwnValues) {
  const int hops = stress_hops(10'000);
  asyncctx::variable<int> v;
  asyncctx::thread_pool pool(2);
  std::atomic<int> wrong{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < thread_count; ++t) {
    threads.emplace_back([&, t] {
      v.run(t, [&] {
        for (int i = 0; i < hops; ++i) {
          pool.post([&, t] {
            if (v.get() == nullptr || *v.get() != t) ++wrong;
            ++done;
          });
        }
      });
    });
  }
  for (auto& th : threads) th.join();
  pool.wait_idle();
  EXPECT_EQ(done, thread_count * hops);
  EXPECT_EQ(wrong, 0);
}

}  // namespace
