// Stress: many concurrent tasks on a 4-thread pool, each with its own id, hop at random
// between a child task, schedule_on(pool), a resume from a foreign thread that knows
// nothing about asyncctx, a future settled on that foreign thread (with a `then` registered
// by the task), and an event emitted on the foreign thread. After every hop the task checks
// its context and async id; listeners and reactions check theirs.
//
// Default: 10,000 tasks x 100 hops (about 8 s under ASan, 25 s under TSan);
// ASYNCCTX_STRESS=long: 50,000 tasks x 200 hops.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/event_emitter.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <condition_variable>
#include <coroutine>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

namespace {

using asyncctx::task;

asyncctx::variable<int> id;
asyncctx::variable<int> step;

std::atomic<long> g_mismatches{0};
std::atomic<long> g_hops{0};

void check(bool ok) {
  if (!ok) g_mismatches.fetch_add(1, std::memory_order_relaxed);
}

// A thread with a raw queue of coroutine handles and a context of its own (id == -7).
class foreign_resumer {
 public:
  foreign_resumer()
      : thread_([this] {
          id.run(-7, [this] {
            for (;;) {
              std::function<void()> job;
              {
                std::unique_lock l(m_);
                cv_.wait(l, [this] { return stop_ || !q_.empty(); });
                if (q_.empty()) return;
                job = std::move(q_.front());
                q_.pop_front();
              }
              job();
              check(id.value_or(0) == -7 && step.get() == nullptr);
            }
          });
        }) {}
  ~foreign_resumer() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  auto hop() {
    struct awaiter {
      foreign_resumer* r;
      bool await_ready() const noexcept { return false; }
      void await_suspend(std::coroutine_handle<> h) {
        // Copied first: once h is queued, this awaiter (in the frame) may be gone.
        foreign_resumer* resumer = r;
        resumer->post([h] { h.resume(); });
      }
      void await_resume() const noexcept {}
    };
    return awaiter{this};
  }

  // Runs `job` on the foreign thread, in the foreign thread's own context.
  void post(std::function<void()> job) {
    {
      std::lock_guard l(m_);
      q_.push_back(std::move(job));
    }
    cv_.notify_one();
  }

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread thread_;
};

struct world {
  asyncctx::thread_pool pool{4};
  foreign_resumer foreign;
  std::mutex m;
  std::condition_variable cv;
  long done = 0;
};

task<int> child(world& w, int expect, bool hop) {
  check(id.value_or(0) == expect);
  if (hop) {
    co_await asyncctx::schedule_on(w.pool.get_executor());
    check(id.value_or(0) == expect);
  }
  co_return expect;
}

// A future settled on the foreign thread; the task registers a `then` first, which must
// run (on the foreign thread) in the task's context, not the settler's.
task<int> future_hop(world& w, int me) {
  auto p = std::make_shared<asyncctx::promise<int>>();
  asyncctx::future<int> reaction = p->get_future().then([me](int v) {
    check(id.value_or(0) == me);
    return v + 1;
  });
  w.foreign.post([p, me] { p->resolve(me); });
  co_return co_await reaction;
}

// An event emitted on the foreign thread: a plain listener runs in the emit-time context
// (the foreign thread's), a wrapped one in the task's. The wrapped one hands the value back
// through the pool, so the task never resumes inside emit().
task<int> emitter_hop(world& w, int me) {
  auto emitter = std::make_shared<asyncctx::event_emitter<int>>();
  auto p = std::make_shared<asyncctx::promise<int>>();
  asyncctx::future<int> got = p->get_future();
  emitter->once([](int) { check(id.value_or(0) == -7); });
  emitter->once(asyncctx::snapshot::wrap([&w, p, me](int v) {
    check(id.value_or(0) == me);
    w.pool.post([p, v] { p->resolve(v); });
  }));
  w.foreign.post([emitter, me] { check(emitter->emit(me)); });
  co_return co_await got;
}

task<> worker(world& w, int me, int hops) {
  const asyncctx::async_id my_async_id = asyncctx::execution_async_id();
  std::minstd_rand rng(static_cast<unsigned>(me) * 2654435761U + 1);
  std::optional<asyncctx::scope> s;
  int expect_step = -1;
  for (int i = 0; i < hops; ++i) {
    const unsigned r = rng() % 8;
    if (r == 7) {  // a binding of our own, that must persist across the next hops
      s.reset();
      s.emplace(step.set(i));
      expect_step = i;
    }
    switch (rng() % 5) {
      case 0:
        check(co_await child(w, me, (rng() & 1) != 0) == me);
        break;
      case 1:
        co_await asyncctx::schedule_on(w.pool.get_executor());
        break;
      case 2:
        check(co_await future_hop(w, me) == me + 1);
        break;
      case 3:
        check(co_await emitter_hop(w, me) == me);
        break;
      default:
        co_await w.foreign.hop();
        break;
    }
    g_hops.fetch_add(1, std::memory_order_relaxed);
    check(id.value_or(0) == me);
    check(step.value_or(-1) == expect_step);
    check(asyncctx::execution_async_id() == my_async_id);
  }
  s.reset();
  // Notified under the lock: the test may destroy `w` as soon as it sees the last one.
  std::lock_guard l(w.m);
  ++w.done;
  w.cv.notify_all();
}

TEST(TaskStress, ConcurrentTasksKeepTheirContextThroughRandomHops) {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  const bool long_mode = mode != nullptr && std::strcmp(mode, "long") == 0;
  const int tasks = long_mode ? 50'000 : 10'000;
  const int hops = long_mode ? 200 : 100;
  g_mismatches = 0;
  g_hops = 0;
  {
    world w;
    for (int i = 1; i <= tasks; ++i) {
      id.run(i, [&] { asyncctx::spawn(w.pool.get_executor(), worker(w, i, hops)); });
    }
    std::unique_lock l(w.m);
    w.cv.wait(l, [&] { return w.done == tasks; });
    l.unlock();
    w.pool.wait_idle();
  }
  EXPECT_EQ(g_hops.load(), static_cast<long>(tasks) * hops);
  EXPECT_EQ(g_mismatches.load(), 0) << "context mismatches over " << g_hops.load() << " hops";
  std::printf("task_stress: %d tasks x %d hops, %ld hops checked, %ld mismatches\n", tasks, hops, g_hops.load(),
              g_mismatches.load());
}

task<int> child_reads_id() { co_return id.value_or(-1); }

// Awaits a hop to the pool and a child, checking the context after each.
task<> hop_and_check(asyncctx::thread_pool& pool, int want) {
  co_await asyncctx::schedule_on(pool.get_executor());
  check(id.value_or(-1) == want);
  check(co_await child_reads_id() == want);
  g_hops.fetch_add(1, std::memory_order_relaxed);
}

// Two threads enable and disable a handful of hooks (the same hook objects, from both at
// once) while two others create tasks that hop to a pool and await children. After every
// round the library's count of enabled hooks must equal the number of hooks enabled, and
// every task must have seen its own context throughout.
TEST(TaskStress, HookEnableAndDisableRaceWithTaskCreationAndResume) {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  const bool long_mode = mode != nullptr && std::strcmp(mode, "long") == 0;
  const int rounds = long_mode ? 2'000 : 150;
  constexpr int toggles = 16;
  constexpr int tasks_per_thread = 8;
  g_mismatches = 0;
  g_hops = 0;
  std::atomic<long> events{0};
  std::vector<asyncctx::async_hook> hooks;
  for (int i = 0; i < 4; ++i) {
    hooks.push_back(asyncctx::create_hook({.init = [&](auto, auto, auto, auto) { ++events; },
                                           .before = [&](auto) { ++events; },
                                           .after = [&](auto) { ++events; },
                                           .destroy = [&](auto) { ++events; }}));
  }
  asyncctx::thread_pool pool(2);
  for (int round = 0; round < rounds; ++round) {
    std::barrier start(4);
    std::vector<std::thread> threads;
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        std::minstd_rand rng(static_cast<unsigned>(round * 4 + t + 1));
        start.arrive_and_wait();
        for (int i = 0; i < toggles; ++i) {
          asyncctx::async_hook& h = hooks[rng() % hooks.size()];
          if (rng() % 2 == 0) {
            h.enable();
          } else {
            h.disable();
          }
        }
      });
    }
    for (int t = 0; t < 2; ++t) {
      threads.emplace_back([&, t] {
        start.arrive_and_wait();
        for (int i = 0; i < tasks_per_thread; ++i) {
          const int want = (round * 2 + t) * tasks_per_thread + i + 1;
          id.run(want, [&] { asyncctx::sync_wait(hop_and_check(pool, want)); });
          check(id.get() == nullptr);
        }
      });
    }
    for (auto& t : threads) t.join();
    pool.wait_idle();
    int enabled = 0;
    for (const auto& h : hooks) enabled += h.enabled() ? 1 : 0;
    ASSERT_EQ(asyncctx::detail::enabled_hook_count(), enabled) << "round " << round;
    ASSERT_EQ(asyncctx::detail::hooks_enabled(), enabled != 0) << "round " << round;
  }
  for (auto& h : hooks) h.disable();
  EXPECT_EQ(asyncctx::detail::enabled_hook_count(), 0);
  EXPECT_FALSE(asyncctx::detail::hooks_enabled());
  EXPECT_EQ(g_hops.load(), static_cast<long>(rounds) * 2 * tasks_per_thread);
  EXPECT_EQ(g_mismatches.load(), 0);
  std::printf("hook stress: %d rounds, %ld hook events\n", rounds, events.load());
}

}  // namespace
