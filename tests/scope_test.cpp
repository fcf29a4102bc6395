// asyncctx::scope: RAII bindings that end in LIFO order, and the documented behaviour when
// they do not (scope.hpp).
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <coroutine>
#include <optional>
#include <stdexcept>
#include <thread>
#include <utility>

#include "support/misuse_recorder.hpp"
#include "support/tracked.hpp"

namespace {

using asyncctx_test::misuse_recorder;
using ::testing::HasSubstr;

TEST(Scope, RestoreEndsTheBindingNow) {
  asyncctx::variable<int> v;
  auto s = v.set(1);
  EXPECT_TRUE(s.active());
  s.restore();
  EXPECT_FALSE(s.active());
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, RestoreIsIdempotent) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  auto outer = v.set(1);
  {
    auto s = v.set(2);
    s.restore();
    s.restore();
    EXPECT_EQ(*v.get(), 1);
  }  // the destructor restores once more: still nothing
  EXPECT_EQ(*v.get(), 1);
  outer.restore();
  EXPECT_TRUE(misuse_recorder::taken().empty());
}

TEST(Scope, DestructorRestoresOnThrow) {
  asyncctx::variable<int> v;
  auto outer = v.set(1);
  try {
    auto s = v.set(2);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  EXPECT_EQ(*v.get(), 1);
}

TEST(Scope, ScopesNest) {
  asyncctx::variable<int> v;
  {
    auto a = v.set(1);
    {
      auto b = v.set(2);
      {
        auto c = v.set(3);
        EXPECT_EQ(*v.get(), 3);
      }
      EXPECT_EQ(*v.get(), 2);
    }
    EXPECT_EQ(*v.get(), 1);
  }
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, DefaultConstructedScopeIsInert) {
  asyncctx::variable<int> v;
  auto a = v.set(1);
  {
    asyncctx::scope inert;
    EXPECT_FALSE(inert.active());
    inert.restore();
  }
  EXPECT_EQ(*v.get(), 1);
}

TEST(Scope, MovedFromScopeRestoresNothing) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::scope> moved_to;
  {
    auto s = v.set(1);
    moved_to.emplace(std::move(s));
    EXPECT_FALSE(s.active());  // NOLINT(bugprone-use-after-move): defined state
  }
  EXPECT_EQ(*v.get(), 1) << "the moved-from scope's destructor must not restore";
  moved_to.reset();
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, MoveAssignmentEndsTheTargetsBinding) {
  asyncctx::variable<int> v;
  auto target = v.set(1);
  target = asyncctx::scope{};
  EXPECT_FALSE(target.active());
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, MoveAssignmentTakesOverTheBinding) {
  asyncctx::variable<int> v;
  asyncctx::scope holder;
  {
    auto s = v.set(1);
    holder = std::move(s);
  }
  EXPECT_TRUE(holder.active());
  EXPECT_EQ(*v.get(), 1);
  holder.restore();
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, RunInsideAScopeSeesTheScopedValue) {
  asyncctx::variable<int> v;
  auto s = v.set(1);
  v.run(2, [&] { EXPECT_EQ(*v.get(), 2); });
  EXPECT_EQ(*v.get(), 1);
}

TEST(Scope, AScopeLeftOpenInsideARunEndsWithTheRun) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  std::optional<asyncctx::scope> leaked;
  v.run(1, [&] { leaked.emplace(v.set(2)); });
  EXPECT_EQ(v.get(), nullptr) << "the run puts back the context from before it";
  leaked.reset();
  EXPECT_EQ(v.get(), nullptr) << "restoring the unwound scope changes nothing";
  ASSERT_EQ(misuse_recorder::taken().size(), 1U);
  EXPECT_THAT(misuse_recorder::taken()[0], HasSubstr("already unwound"));
}

#ifndef NDEBUG
TEST(ScopeDeathTest, OutOfOrderRestoreAbortsWithAMessageInDebugBuilds) {
  asyncctx::variable<int> v;
  EXPECT_DEATH(
      {
        auto a = v.set(1);
        auto b = v.set(2);
        a.restore();
      },
      "scope restored out of LIFO order");
}
#endif

TEST(Scope, OutOfOrderRestoreIsReported) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  auto a = v.set(1);
  auto b = v.set(2);
  a.restore();
  ASSERT_EQ(misuse_recorder::taken().size(), 1U);
  EXPECT_THAT(misuse_recorder::taken()[0], HasSubstr("out of LIFO order"));
}

TEST(Scope, OutOfOrderRestoreUnwindsToTheContextFromBeforeTheScope) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  asyncctx::variable<int> w;
  auto base = v.set(0);
  auto a = v.set(1);
  auto b = w.set(2);
  a.restore();
  EXPECT_EQ(*v.get(), 0);
  EXPECT_EQ(w.get(), nullptr) << "the inner scope's binding ends too";
  b.restore();
  base.restore();
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, TheUnwoundInnerScopeLaterRestoresNothing) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  auto base = v.set(0);
  auto a = v.set(1);
  auto b = v.set(2);
  a.restore();
  auto c = v.set(3);  // a new binding after the unwinding
  b.restore();        // must not disturb it
  EXPECT_EQ(*v.get(), 3);
  c.restore();
  EXPECT_EQ(*v.get(), 0);
  const auto taken = misuse_recorder::taken();
  ASSERT_EQ(taken.size(), 2U);
  EXPECT_THAT(taken[1], HasSubstr("already unwound"));
}

TEST(Scope, OutOfOrderRestoreReleasesEveryValueOnceBothScopesAreGone) {
  misuse_recorder recorder;
  int destroyed_a = 0;
  int destroyed_b = 0;
  asyncctx::variable<asyncctx_test::tracked> v;
  {
    auto a = v.set(asyncctx_test::tracked(1, &destroyed_a));
    auto b = v.set(asyncctx_test::tracked(2, &destroyed_b));
    a.restore();
    EXPECT_EQ(destroyed_b, 1) << "no context holds b's value after the unwinding";
    EXPECT_EQ(destroyed_a, 0) << "b still holds the context it would put back (a's)";
    b.restore();
    EXPECT_EQ(destroyed_a, 1);
  }
  EXPECT_EQ(destroyed_a, 1);
  EXPECT_EQ(destroyed_b, 1);
}

TEST(Scope, ASpentScopeNeverMistakesANewBindingAtTheSameAddressForItsOwn) {
  // Frames freed by an unwinding are often reused at once by the next binding (always with
  // the per-thread block cache of release builds). Many rounds make a reuse certain.
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  int wrong = 0;
  for (int i = 0; i < 1000; ++i) {
    auto a = v.set(1);
    auto b = v.set(2);
    a.restore();
    auto c = v.set(3);
    b.restore();  // spent: must not touch c's binding
    if (v.get() == nullptr || *v.get() != 3) ++wrong;
    c.restore();
  }
  EXPECT_EQ(wrong, 0);
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Scope, RestoreAfterEnterWithUnwindsTheEnterWithToo) {
  misuse_recorder recorder;
  asyncctx::async_local_storage<int> als;
  asyncctx::variable<int> v;
  asyncctx::snapshot top;
  top.run([&] {
    auto s = v.set(1);
    als.enter_with(5);
    s.restore();
    EXPECT_EQ(v.get(), nullptr);
    EXPECT_EQ(als.get_store(), nullptr);
  });
  EXPECT_EQ(misuse_recorder::taken().size(), 1U);
}

TEST(Scope, RestoreOnAnotherThreadChangesNothingThere) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  auto s = v.set(1);
  asyncctx::scope moved = std::move(s);
  std::thread([&] {
    auto local = v.set(7);
    moved.restore();
    EXPECT_EQ(*v.get(), 7);
  }).join();
  EXPECT_EQ(*v.get(), 1) << "the creating thread keeps its binding";
  EXPECT_EQ(misuse_recorder::taken().size(), 1U);
  // The scope is spent, so this thread's binding has no owner left to end it: drop it.
  asyncctx::detail::replace_current(nullptr);
}

// Resumes the awaiting coroutine on a new thread, stored for the test to join.
struct resume_on_new_thread {
  std::thread* thread;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const {
    *thread = std::thread([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};

int stored(const asyncctx::async_local_storage<int>& store) {
  const int* v = store.get_store();
  return v != nullptr ? *v : -1;
}

// A task opens a scope on one thread and moves on to another, where an enter_with frees the
// scope's frame and a new scope is built in the same block (the thread's block cache hands
// it back). The first scope's restore happens on another thread than the one that opened
// it: it must change nothing, and the new scope must keep its binding.
TEST(Scope, RestoreOnAnotherThreadNeverMistakesANewScopeInARecycledBlockForItself) {
  misuse_recorder recorder;
  asyncctx::async_local_storage<int> store;
  int after_wrong_restore = 0;
  int after_inner_restore = 0;
  std::thread b;
  auto body = [&]() -> asyncctx::task<> {
    auto s = store.with_scope(1);  // on thread a
    co_await resume_on_new_thread{&b};
    store.enter_with(2);            // on thread b: the scope's frame goes
    auto s2 = store.with_scope(3);  // built where it was
    s.restore();                    // out of order, and not on the thread that opened it
    after_wrong_restore = stored(store);
    s2.restore();
    after_inner_restore = stored(store);
  };
  std::thread a([&] { asyncctx::sync_wait(body()); });
  a.join();
  b.join();
  EXPECT_EQ(after_wrong_restore, 3) << "the new scope's binding must survive";
  EXPECT_EQ(after_inner_restore, 2) << "the new scope puts back what it found";
  const auto messages = misuse_recorder::taken();
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_THAT(messages[0], HasSubstr("another thread"));
}

// A thread that has ended and a new thread may share the address of their thread-local
// storage: a scope of the ended thread, restored on the new one, is still a restore on
// another thread and changes nothing there.
TEST(Scope, RestoreOnANewThreadAfterItsThreadEndedChangesNothing) {
  misuse_recorder recorder;
  asyncctx::variable<int> v;
  for (int round = 0; round < 20; ++round) {
    std::optional<asyncctx::scope> orphan;
    std::thread([&] { orphan.emplace(v.set(1)); }).join();  // the thread keeps its binding until it ends
    int seen = 0;
    std::thread([&] {
      auto local = v.set(7);
      orphan->restore();
      seen = v.get() != nullptr ? *v.get() : -1;
    }).join();
    EXPECT_EQ(seen, 7) << "round " << round;
  }
  EXPECT_EQ(misuse_recorder::taken().size(), 20U);
}

}  // namespace
