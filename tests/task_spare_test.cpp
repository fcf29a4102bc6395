// The spare context reference of a task (task_context.hpp): a child awaited by a task hands
// its last context back to the parent instead of releasing it, and the next child takes it
// instead of incrementing the count. These tests pin the invariant that makes this
// invisible: a value is destroyed exactly when the last context holding it goes, as if
// there were no spare (enter_with, scope restore, the end of the parent), also when the
// child ends on another thread, is created by one task and awaited by another, or is
// awaited by when_all / sync_wait.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>
#include <asyncctx/when_all.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <coroutine>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "support/tracked.hpp"

namespace {

using asyncctx::sync_wait;
using asyncctx::task;
using asyncctx_test::tracked;

// Threads that resumed coroutines, joined when the bag goes (after the tasks have ended).
// The lock: the thread that started the last resumer may still be inside emplace_back when
// that resumer has already finished the task.
struct thread_bag {
  std::mutex m;
  std::vector<std::thread> threads;
  ~thread_bag() {
    std::lock_guard l(m);
    for (auto& t : threads) t.join();
  }
};

// Resumes the coroutine on a new thread.
struct other_thread {
  thread_bag* bag;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const {
    std::lock_guard l(bag->m);
    bag->threads.emplace_back([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};

asyncctx::async_local_storage<tracked> store;
asyncctx::variable<int> number;

int stored_value() {
  const tracked* t = store.get_store();
  return t != nullptr ? t->value : -1;
}

task<int> read_store() { co_return stored_value(); }

// Reference count of the frame current on this thread (0 for the empty context).
std::uint32_t current_refs() {
  const asyncctx::detail::frame* f = asyncctx::detail::current_frame();
  return f != nullptr ? f->refs.load() : 0;
}

TEST(TaskSpare, ReadyChildHopsDoNotChangeTheCount) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    EXPECT_EQ(current_refs(), 1U);        // only this task holds its context
    EXPECT_EQ(co_await read_store(), 1);  // the child took a reference and handed it back
    EXPECT_EQ(current_refs(), 2U);        // ours + the spare
    for (int i = 0; i < 100; ++i) {
      task<int> child = read_store();  // takes the spare: no increment
      EXPECT_EQ(current_refs(), 2U);
      EXPECT_EQ(co_await std::move(child), 1);
      EXPECT_EQ(current_refs(), 2U);  // handed back: no decrement
    }
    EXPECT_EQ(destroyed, 0);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 1);  // the task's last context and its spare are gone with it
}

TEST(TaskSpare, EnterWithAfterAChildDestroysTheOldValueAtOnce) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    EXPECT_EQ(co_await read_store(), 1);
    EXPECT_EQ(destroyed, 0);
    store.enter_with(tracked(2, &destroyed));
    EXPECT_EQ(destroyed, 1);  // not kept alive by the spare until the next suspension
    EXPECT_EQ(co_await read_store(), 2);
    EXPECT_EQ(destroyed, 1);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 2);
}

TEST(TaskSpare, ScopeRestoredAfterAChildDestroysItsValueAtOnce) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    {
      auto s = store.with_scope(tracked(1, &destroyed));
      EXPECT_EQ(co_await read_store(), 1);
      EXPECT_EQ(co_await read_store(), 1);
      EXPECT_EQ(destroyed, 0);
    }
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(co_await read_store(), -1);
    auto s = number.set(5);  // a scope over the base context, then back
    {
      auto inner = store.with_scope(tracked(2, &destroyed));
      EXPECT_EQ(co_await read_store(), 2);
    }
    EXPECT_EQ(destroyed, 2);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 2);
}

TEST(TaskSpare, RunInsideTheParentAfterAChildKeepsExactLifetimes) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    EXPECT_EQ(co_await read_store(), 1);
    store.run(tracked(2, &destroyed), [&] {
      EXPECT_EQ(stored_value(), 2);
      store.enter_with(tracked(3, &destroyed));  // replaces the run's binding
      EXPECT_EQ(destroyed, 1);
    });
    EXPECT_EQ(destroyed, 2);  // the run's context went at its end; ours (1) is still alive
    EXPECT_EQ(stored_value(), 1);
    auto t = store.run(tracked(4, &destroyed), [] { return read_store(); });
    EXPECT_EQ(co_await std::move(t), 4);  // created in another context: no hand-back
    EXPECT_EQ(destroyed, 3);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 4);
}

TEST(TaskSpare, ChildEndingOnAnotherThreadHandsBackSafely) {
  int destroyed = 0;
  thread_bag bag;
  auto child = [&]() -> task<int> {
    co_await other_thread{&bag};
    co_return stored_value();
  };
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    for (int i = 0; i < 50; ++i) {
      EXPECT_EQ(co_await child(), 1);  // ends on another thread, parent resumed there
      EXPECT_EQ(co_await read_store(), 1);
    }
    EXPECT_EQ(destroyed, 0);
    store.enter_with(tracked(2, &destroyed));
    EXPECT_EQ(destroyed, 1);
    EXPECT_EQ(co_await child(), 2);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 2);
}

TEST(TaskSpare, ChildCreatedInOneTaskAndAwaitedByAnother) {
  int destroyed = 0;
  auto consumer = [&](task<int> t) -> task<int> {
    store.enter_with(tracked(20, &destroyed));
    EXPECT_EQ(co_await read_store(), 20);    // the consumer has a spare of its own context
    const int seen = co_await std::move(t);  // ends in the producer's context: released
    EXPECT_EQ(stored_value(), 20);
    co_return seen;
  };
  auto producer = [&]() -> task<int> {
    store.enter_with(tracked(10, &destroyed));
    EXPECT_EQ(co_await read_store(), 10);  // a spare to take
    task<int> made = read_store();         // takes it
    auto c = store.run(tracked(30, &destroyed), [&] { return consumer(std::move(made)); });
    EXPECT_EQ(destroyed, 0);
    const int seen = co_await std::move(c);
    EXPECT_EQ(destroyed, 2);  // 30 (the consumer's creation context) and 20 (its own)
    store.enter_with(tracked(11, &destroyed));
    EXPECT_EQ(destroyed, 3);  // 10 went at once: no reference to it is left anywhere
    co_return seen;
  };
  EXPECT_EQ(sync_wait(producer()), 10);
  EXPECT_EQ(destroyed, 4);
}

TEST(TaskSpare, ChildAwaitedLaterAfterTheParentChangedItsContext) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    EXPECT_EQ(co_await read_store(), 1);
    task<int> early = read_store();  // took the spare: a real reference to context 1
    store.enter_with(tracked(2, &destroyed));
    EXPECT_EQ(destroyed, 0);                  // still held by `early`
    EXPECT_EQ(co_await std::move(early), 1);  // ends in 1 != ours: released, so 1 goes
    EXPECT_EQ(destroyed, 1);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 2);
}

TEST(TaskSpare, WhenAllAndSyncWaitChildrenReleaseNormally) {
  int destroyed = 0;
  auto parent = [&]() -> task<> {
    store.enter_with(tracked(1, &destroyed));
    auto [a, b] = co_await asyncctx::when_all(read_store(), read_store());
    EXPECT_EQ(a + b, 2);
    EXPECT_EQ(co_await read_store(), 1);
    EXPECT_EQ(sync_wait(read_store()), 1);  // nested driver: no task parent
    store.enter_with(tracked(2, &destroyed));
    EXPECT_EQ(destroyed, 1);
  };
  sync_wait(parent());
  EXPECT_EQ(destroyed, 2);
}

TEST(TaskSpare, ManyThreadsManyHops) {
  std::atomic<int> destroyed_total{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([t, &destroyed_total] {
      int destroyed = 0;
      {
        thread_bag bag;
        auto child = [&](int i) -> task<int> {
          if (i % 7 == 0) co_await other_thread{&bag};
          co_return stored_value();
        };
        auto parent = [&]() -> task<int> {
          int sum = 0;
          for (int round = 0; round < 20; ++round) {
            store.enter_with(tracked(t, &destroyed));
            for (int i = 0; i < 50; ++i) sum += co_await child(i);
          }
          co_return sum;
        };
        EXPECT_EQ(sync_wait(parent()), 20 * 50 * t);
      }
      EXPECT_EQ(destroyed, 20);
      destroyed_total += destroyed;
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(destroyed_total.load(), 80);
}

}  // namespace
