// asyncctx::task<T>: coroutine mechanics (values, exceptions, symmetric transfer) and the
// task rules of docs/semantics.md, including Node's async-context tests mapped
// to tasks, and async hooks for the "TASK" resource.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/misuse_recorder.hpp"
#include "support/tracked.hpp"

namespace {

using asyncctx::sync_wait;
using asyncctx::task;
using asyncctx_test::misuse_recorder;

// Suspends and resumes the coroutine from a new std::thread: an awaitable that knows
// nothing about asyncctx. The resuming thread has a context of its own, which it must find
// again after the task has suspended or finished.
// The foreign threads' own binding. Global: a detached resumer may still be unwinding
// after the test that started it has ended.
asyncctx::variable<std::string> g_marker;

// Joins the resumer threads at exit (declared after g_marker, so destroyed before it).
struct foreign_threads {
  std::mutex m;
  std::vector<std::thread> threads;
  ~foreign_threads() {
    // A resumer may still be starting another resumer: take the list under the lock, join
    // outside it, until no thread is left.
    for (;;) {
      std::vector<std::thread> batch;
      {
        std::lock_guard l(m);
        if (threads.empty()) return;
        batch.swap(threads);
      }
      for (auto& t : batch) t.join();
    }
  }
} g_foreign_threads;

struct foreign_thread_resume {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    std::lock_guard l(g_foreign_threads.m);
    g_foreign_threads.threads.emplace_back([h] {
      g_marker.run("foreign", [&] {
        h.resume();
        // The task ran on this thread and suspended or ended: our context is back.
        EXPECT_EQ(g_marker.value_or(""), "foreign");
      });
    });
  }
  void await_resume() const noexcept {}
};

// Resumes the coroutine inline from await_suspend (returns false): no real suspension.
struct resume_inline {
  bool await_ready() const noexcept { return false; }
  bool await_suspend(std::coroutine_handle<>) const noexcept { return false; }
  int await_resume() const noexcept { return 7; }
};

// await_suspend returns the coroutine's own handle: resumed by symmetric transfer.
struct resume_self {
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) const noexcept { return h; }
  void await_resume() const noexcept {}
};

struct throwing_suspend {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const { throw std::runtime_error("suspend failed"); }
  void await_resume() const noexcept {}
};

task<int> answer() { co_return 42; }
task<> nothing() { co_return; }
task<int> fail() {
  throw std::runtime_error("boom");
  co_return 0;
}

TEST(Task, ReturnsValues) {
  EXPECT_EQ(sync_wait(answer()), 42);
  sync_wait(nothing());
  int x = 5;
  auto ref = [](int& r) -> task<int&> { co_return r; };
  int& r = sync_wait(ref(x));
  EXPECT_EQ(&r, &x);
  auto moved = []() -> task<std::unique_ptr<int>> { co_return std::make_unique<int>(3); };
  EXPECT_EQ(*sync_wait(moved()), 3);
}

TEST(Task, IsLazy) {
  bool started = false;
  auto t = [](bool& s) -> task<> {
    s = true;
    co_return;
  }(started);
  EXPECT_FALSE(started);
  EXPECT_FALSE(t.is_ready());
  sync_wait(std::move(t));
  EXPECT_TRUE(started);
}

TEST(Task, ExceptionsPropagateToTheAwaiter) {
  EXPECT_THROW(sync_wait(fail()), std::runtime_error);
  auto outer = []() -> task<std::string> {
    try {
      co_await fail();
    } catch (const std::runtime_error& e) {
      co_return e.what();
    }
    co_return "no";
  };
  EXPECT_EQ(sync_wait(outer()), "boom");
}

TEST(Task, LvalueAwaitKeepsTheResultAndMoveOnly) {
  static_assert(!std::is_copy_constructible_v<task<int>>);
  static_assert(std::is_nothrow_move_constructible_v<task<int>>);
  auto outer = []() -> task<int> {
    task<int> t = answer();
    int& a = co_await t;
    int& b = co_await t;  // finished: the same stored result
    EXPECT_EQ(&a, &b);
    co_return a + b;
  };
  EXPECT_EQ(sync_wait(outer()), 84);
}

TEST(Task, AwaitingAnEmptyTaskThrows) {
  auto outer = []() -> task<> {
    task<int> t;
    co_await t;
  };
  EXPECT_THROW(sync_wait(outer()), std::logic_error);
}

// A million synchronous completions in a loop: the stack must not grow (symmetric
// transfer, or the synchronous-completion check when sanitizers are on).
TEST(Task, MillionSynchronousAwaitsUseConstantStack) {
  static std::uintptr_t sp_first = 0;
  static std::uintptr_t sp_last = 0;
  auto child = [](int i) -> task<int> {
    const auto sp = reinterpret_cast<std::uintptr_t>(__builtin_frame_address(0));
    if (i == 0) sp_first = sp;
    sp_last = sp;
    co_return 1;
  };
  auto loop = [&]() -> task<int> {
    int n = 0;
    for (int i = 0; i < 1'000'000; ++i) n += co_await child(i);
    co_return n;
  };
  EXPECT_EQ(sync_wait(loop()), 1'000'000);
  const auto drift = sp_first > sp_last ? sp_first - sp_last : sp_last - sp_first;
  EXPECT_LT(drift, 4096U) << "the stack grew by " << drift << " bytes over 1,000,000 awaits";
}

// --- context -------------------------------------------------------------------------

asyncctx::variable<int> request_id;

task<int> read_id() { co_return request_id.value_or(-1); }

TEST(TaskContext, RunsInTheContextOfItsCreation) {
  auto t = request_id.run(7, [] { return read_id(); });
  // First awaited elsewhere, in another context: still sees 7.
  const int seen = request_id.run(99, [&] { return sync_wait(std::move(t)); });
  EXPECT_EQ(seen, 7);
  EXPECT_EQ(request_id.get(), nullptr);
}

TEST(TaskContext, ChildCreatedInParentSeesParentsBindings) {
  auto parent = []() -> task<int> {
    auto s = request_id.set(5);
    const int a = co_await read_id();
    co_return a;
  };
  EXPECT_EQ(sync_wait(parent()), 5);
}

TEST(TaskContext, SetInsideTaskPersistsAcrossSuspensionsAndNeverLeaks) {
  auto child = [&]() -> task<int> {
    auto s = request_id.set(2);
    co_await foreign_thread_resume{};
    EXPECT_EQ(request_id.value_or(-1), 2);
    co_await resume_self{};
    EXPECT_EQ(co_await resume_inline{}, 7);
    EXPECT_EQ(request_id.value_or(-1), 2);
    co_return co_await read_id();  // created after the set: sees it
  };
  auto parent = [&]() -> task<> {
    auto s = request_id.set(1);
    EXPECT_EQ(co_await child(), 2);
    EXPECT_EQ(request_id.value_or(-1), 1);  // the child's set did not reach us
    co_await foreign_thread_resume{};
    EXPECT_EQ(request_id.value_or(-1), 1);
    EXPECT_EQ(co_await child(), 2);  // a sibling starts from our context
    EXPECT_EQ(request_id.value_or(-1), 1);
  };
  sync_wait(parent());
  EXPECT_EQ(request_id.get(), nullptr);
}

// Node test-async-local-storage-async-await: a store set before an await is seen after it.
TEST(TaskContext, StoreSetBeforeAwaitIsSeenAfter) {
  asyncctx::async_local_storage<std::string> als;
  auto fn = [&]() -> task<> {
    als.enter_with("before");
    co_await foreign_thread_resume{};
    EXPECT_EQ(als.get_store() != nullptr ? *als.get_store() : "", "before");
  };
  als.run("outer", [&] { sync_wait(fn()); });
  auto in_run = [&]() -> task<> {
    co_await foreign_thread_resume{};
    EXPECT_EQ(*als.get_store(), "run");
  };
  als.run("run", [&] { sync_wait(in_run()); });
}

// Node test-async-local-storage-exit / async functions: exit(async fn) keeps the store
// empty across the function's awaits (the task is created inside exit()).
TEST(TaskContext, ExitKeepsTheStoreEmptyAcrossAwaits) {
  asyncctx::async_local_storage<int> als;
  auto fn = [&]() -> task<> {
    EXPECT_EQ(als.get_store(), nullptr);
    co_await foreign_thread_resume{};
    EXPECT_EQ(als.get_store(), nullptr);
    co_await resume_self{};
    EXPECT_EQ(als.get_store(), nullptr);
  };
  als.run(1, [&] {
    auto t = als.exit([&] { return fn(); });
    EXPECT_EQ(*als.get_store(), 1);
    sync_wait(std::move(t));
    EXPECT_EQ(*als.get_store(), 1);
  });
}

// Node test-async-local-storage-enter-with / the "enterWith leaks" flaw: an enter_with in
// a task, after or before its first await, never reaches the caller.
TEST(TaskContext, EnterWithAfterAnAwaitDoesNotLeakToTheCaller) {
  asyncctx::async_local_storage<int> als;
  auto fn = [&]() -> task<> {
    co_await foreign_thread_resume{};
    als.enter_with(2);
    EXPECT_EQ(*als.get_store(), 2);
  };
  auto parent = [&]() -> task<> {
    als.enter_with(1);
    co_await fn();
    EXPECT_EQ(*als.get_store(), 1);
  };
  sync_wait(parent());
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(TaskContext, EnterWithBeforeTheFirstAwaitDoesNotLeakToTheCaller) {
  asyncctx::async_local_storage<int> als;
  auto fn = [&]() -> task<> {
    als.enter_with(2);  // Node: leaks into the caller, which runs on synchronously
    co_await foreign_thread_resume{};
    EXPECT_EQ(*als.get_store(), 2);
  };
  auto sync_fn = [&]() -> task<> {
    als.enter_with(3);  // no await at all
    co_return;
  };
  auto parent = [&]() -> task<> {
    als.enter_with(1);
    co_await fn();
    EXPECT_EQ(*als.get_store(), 1);
    co_await sync_fn();
    EXPECT_EQ(*als.get_store(), 1);
  };
  sync_wait(parent());
  als.run(0, [&] {
    sync_wait(sync_fn());
    EXPECT_EQ(*als.get_store(), 0);
  });
}

TEST(TaskContext, ForeignResumeInstallsTheTaskContextAndRestoresTheThreads) {
  auto fn = [&]() -> task<> {
    for (int i = 0; i < 5; ++i) {
      co_await foreign_thread_resume{};
      EXPECT_EQ(request_id.value_or(-1), 11);
      EXPECT_EQ(g_marker.get(), nullptr);  // the foreign thread's binding is not visible here
    }
  };
  request_id.run(11, [&] { sync_wait(fn()); });
}

TEST(TaskContext, ThrowingAwaitSuspendKeepsTheTaskInItsContext) {
  auto fn = []() -> task<int> {
    auto s = request_id.set(4);
    try {
      co_await throwing_suspend{};
    } catch (const std::runtime_error&) {
    }
    co_return request_id.value_or(-1);
  };
  EXPECT_EQ(sync_wait(fn()), 4);
  EXPECT_EQ(request_id.get(), nullptr);
}

TEST(TaskContext, ValuesDieWithTheLastTaskThatHoldsThem) {
  struct counted {
    std::shared_ptr<int> alive;
  };
  asyncctx::variable<counted> v;
  auto probe = std::make_shared<int>(0);
  std::weak_ptr<int> weak = probe;
  auto t = v.run(counted{std::move(probe)}, [] { return nothing(); });
  EXPECT_FALSE(weak.expired());  // the unstarted task holds the context
  t = task<>();
  EXPECT_TRUE(weak.expired());
}

// --- hand-over between an awaiting task and its child (task_context.hpp) ---------------

// What the thread looked like right after the task suspended (context_awaiter has put the
// thread's own state back before the inner await_suspend runs), then a foreign resume.
struct thread_state_probe {
  int* value_seen;
  asyncctx::async_id* id_seen;
  const void** running_task_seen;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) {
    *value_seen = request_id.value_or(-1);
    *id_seen = asyncctx::execution_async_id();
    *running_task_seen = asyncctx::detail::execution_state::here().running_task();
    foreign_thread_resume{}.await_suspend(h);
  }
  void await_resume() const noexcept {}
};

// A child started by its awaiting task borrows the thread's saved state from it; when a
// grandchild two borrows deep suspends, the thread must get its own state back (found up the
// chain), and every level must find its own context when resumed on the foreign thread.
TEST(TaskContext, SuspendTwoHandOversDeepGivesTheThreadItsOwnStateBack) {
  int value_seen = 0;
  asyncctx::async_id id_seen = 0;
  const void* running_seen = &value_seen;
  auto grandchild = [&]() -> task<int> {
    auto s = request_id.set(30);
    co_await thread_state_probe{&value_seen, &id_seen, &running_seen};
    co_return request_id.value_or(-1);
  };
  auto child = [&]() -> task<int> {
    auto s = request_id.set(20);
    const int got = co_await grandchild();
    EXPECT_EQ(request_id.value_or(-1), 20);  // resumed on the foreign thread, in its own context
    EXPECT_EQ(g_marker.get(), nullptr);
    co_return got * 100 + request_id.value_or(-1);
  };
  auto parent = [&]() -> task<int> {
    auto s = request_id.set(10);
    const int got = co_await child();
    EXPECT_EQ(request_id.value_or(-1), 10);
    co_return got * 100 + request_id.value_or(-1);
  };
  const asyncctx::async_id own_id = asyncctx::execution_async_id();
  request_id.run(1, [&] { EXPECT_EQ(sync_wait(parent()), 302010); });
  EXPECT_EQ(value_seen, 1);  // the thread's own binding, not a task's
  EXPECT_EQ(id_seen, own_id);
  EXPECT_EQ(running_seen, nullptr);
}

// A child that runs start to end without suspending installs its awaiting task's context and
// ids itself: the parent sees exactly what it had before the co_await, never the child's.
TEST(TaskContext, ChildEndingWithoutSuspendingPutsTheParentBackExactly) {
  static asyncctx::async_local_storage<int> store;
  auto child = []() -> task<asyncctx::async_id> {
    store.enter_with(3);  // the child ends in a context of its own making
    EXPECT_EQ(request_id.value_or(-1), 1);
    co_return asyncctx::execution_async_id();
  };
  auto parent = [&]() -> task<> {
    const asyncctx::async_id my_id = asyncctx::execution_async_id();
    const asyncctx::async_id my_trigger = asyncctx::trigger_async_id();
    const void* me = asyncctx::detail::execution_state::here().running_task();
    auto s = request_id.set(1);
    for (int i = 0; i < 3; ++i) {
      const asyncctx::async_id child_id = co_await child();
      EXPECT_NE(child_id, my_id);
      EXPECT_EQ(request_id.value_or(-1), 1);
      EXPECT_EQ(store.get_store(), nullptr);
      EXPECT_EQ(asyncctx::execution_async_id(), my_id);
      EXPECT_EQ(asyncctx::trigger_async_id(), my_trigger);
      EXPECT_EQ(asyncctx::detail::execution_state::here().running_task(), me);
    }
  };
  sync_wait(parent());
  EXPECT_EQ(request_id.get(), nullptr);
  EXPECT_EQ(asyncctx::detail::execution_state::here().running_task(), nullptr);
}

// --- async hooks -----------------------------------------------------------------------

TEST(TaskHooks, TaskIsAnAsyncResourceOfTypeTask) {
  struct event {
    char kind;
    asyncctx::async_id id;
  };
  std::mutex m;
  std::vector<event> events;
  std::vector<std::pair<asyncctx::async_id, asyncctx::async_id>> inits;  // id, trigger
  auto hook = asyncctx::create_hook({
      .init =
          [&](asyncctx::async_id id, std::string_view type, asyncctx::async_id trigger, const void*) {
            if (type != "TASK") return;
            std::lock_guard l(m);
            inits.emplace_back(id, trigger);
          },
      .before =
          [&](asyncctx::async_id id) {
            std::lock_guard l(m);
            events.push_back({'b', id});
          },
      .after =
          [&](asyncctx::async_id id) {
            std::lock_guard l(m);
            events.push_back({'a', id});
          },
      .destroy =
          [&](asyncctx::async_id id) {
            std::lock_guard l(m);
            events.push_back({'d', id});
          },
      .promise_resolve = {},
  });
  hook.enable();
  asyncctx::async_id outer_id = 0, outer_trigger = 0, inner_id = 0, inner_trigger = 0;
  auto inner = [&]() -> task<> {
    inner_id = asyncctx::execution_async_id();
    inner_trigger = asyncctx::trigger_async_id();
    co_await foreign_thread_resume{};
    EXPECT_EQ(asyncctx::execution_async_id(), inner_id);
    EXPECT_EQ(asyncctx::trigger_async_id(), inner_trigger);
  };
  auto outer = [&]() -> task<> {
    outer_id = asyncctx::execution_async_id();
    outer_trigger = asyncctx::trigger_async_id();
    co_await inner();
    EXPECT_EQ(asyncctx::execution_async_id(), outer_id);
  };
  auto t = outer();
  const asyncctx::async_id t_id = t.async_id();
  sync_wait(std::move(t));
  hook.disable();
  EXPECT_EQ(asyncctx::execution_async_id(), 1U);
  EXPECT_EQ(outer_id, t_id);
  EXPECT_EQ(outer_trigger, 1U);  // created at top level
  EXPECT_EQ(inner_trigger, outer_id);
  ASSERT_EQ(inits.size(), 2U);
  EXPECT_EQ(inits[0], std::make_pair(outer_id, asyncctx::async_id{1}));
  EXPECT_EQ(inits[1], std::make_pair(inner_id, outer_id));
  for (asyncctx::async_id id : {outer_id, inner_id}) {
    int before = 0, after = 0, destroy = 0, depth = 0;
    for (const event& e : events) {
      if (e.id != id) continue;
      if (e.kind == 'b') ++before, ++depth;
      if (e.kind == 'a') ++after, --depth;
      if (e.kind == 'd') {
        ++destroy;
        EXPECT_EQ(depth, 0);
      }
      EXPECT_GE(depth, 0);
      EXPECT_LE(depth, 1);
    }
    EXPECT_EQ(before, after);
    EXPECT_GE(before, 2);  // start + one resume after the foreign hop / the child
    EXPECT_EQ(destroy, 1);
  }
}

TEST(TaskHooks, IdsAreRightWithoutHooks) {
  auto t = []() -> task<std::pair<asyncctx::async_id, asyncctx::async_id>> {
    co_await foreign_thread_resume{};
    co_return std::make_pair(asyncctx::execution_async_id(), asyncctx::trigger_async_id());
  }();
  const auto id = t.async_id();
  const auto [exec, trigger] = sync_wait(std::move(t));
  EXPECT_EQ(exec, id);
  EXPECT_EQ(trigger, 1U);
  EXPECT_EQ(asyncctx::execution_async_id(), 1U);
  EXPECT_EQ(asyncctx::trigger_async_id(), 0U);
}

// --- destroying a task suspended in the middle ------------------------------------------

// Suspends for good: the task is destroyed while it waits here.
struct suspend_forever {
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<>) const noexcept {}
  void await_resume() const noexcept {}
};

// Starts `t` on this thread, as an awaiter would, and runs it to its first real suspension.
template <class T>
void start_detached(task<T>& t) {
  auto awaiter = t.when_ready();
  auto r = awaiter.await_suspend(std::noop_coroutine());
  if constexpr (!std::is_same_v<decltype(r), bool>) r.resume();
}

asyncctx::variable<asyncctx_test::tracked> g_scoped;

int scoped_value() {
  const auto* t = g_scoped.get();
  return t != nullptr ? t->value : -1;
}

// Opens `depth` nested scopes (values 1..depth) and suspends for good.
task<> suspended_with_scopes(int depth, int* destroyed) {
  std::optional<asyncctx::scope> s1, s2, s3;
  s1.emplace(g_scoped.set(asyncctx_test::tracked(1, destroyed)));
  if (depth > 1) s2.emplace(g_scoped.set(asyncctx_test::tracked(2, destroyed)));
  if (depth > 2) s3.emplace(g_scoped.set(asyncctx_test::tracked(3, destroyed)));
  co_await suspend_forever{};
}

// Destroys the suspended `t` inside a run of this thread's own value (100), and checks that
// the run's context is untouched, that its value is still alive, and that the scopes the task
// left open are ended without a misuse report.
void destroy_inside_a_run(task<>& t, int depth, const int& scope_values_destroyed) {
  int run_value_destroyed = 0;
  g_scoped.run(asyncctx_test::tracked(100, &run_value_destroyed), [&] {
    t = task<>();
    EXPECT_EQ(scoped_value(), 100) << "the destroying thread's context changed";
    EXPECT_EQ(run_value_destroyed, 0) << "the enclosing run's value was freed";
    EXPECT_EQ(scope_values_destroyed, depth) << "the task's scoped values must go with it";
  });
  EXPECT_EQ(run_value_destroyed, 1);
  EXPECT_EQ(scoped_value(), -1);
}

TEST(TaskContext, DestroyingASuspendedTaskWithOpenScopesLeavesTheDestroyingThreadAlone) {
  for (int depth : {1, 3}) {
    misuse_recorder recorder;
    int destroyed = 0;
    auto t = suspended_with_scopes(depth, &destroyed);
    start_detached(t);
    EXPECT_EQ(scoped_value(), -1) << "the task's scopes stay in the task";
    destroy_inside_a_run(t, depth, destroyed);
    EXPECT_TRUE(misuse_recorder::taken().empty()) << "depth " << depth;
  }
}

TEST(TaskContext, DestroyingASuspendedTaskOnAnotherThreadLeavesThatThreadAlone) {
  for (int depth : {1, 3}) {
    misuse_recorder recorder;
    int destroyed = 0;
    auto t = suspended_with_scopes(depth, &destroyed);
    start_detached(t);
    std::thread([&] { destroy_inside_a_run(t, depth, destroyed); }).join();
    EXPECT_EQ(scoped_value(), -1);
    EXPECT_TRUE(misuse_recorder::taken().empty()) << "depth " << depth;
  }
}

// The same when the suspended task is the child a parent awaits: destroying the parent
// destroys the child first, both with scopes open.
TEST(TaskContext, DestroyingAParentWhoseChildIsSuspendedLeavesTheThreadAlone) {
  misuse_recorder recorder;
  int destroyed = 0;
  auto parent = [](int* d) -> task<> {
    auto s = g_scoped.set(asyncctx_test::tracked(10, d));
    co_await suspended_with_scopes(3, d);
  }(&destroyed);
  start_detached(parent);
  EXPECT_EQ(scoped_value(), -1);
  int run_value_destroyed = 0;
  g_scoped.run(asyncctx_test::tracked(100, &run_value_destroyed), [&] {
    parent = task<>();
    EXPECT_EQ(scoped_value(), 100);
    EXPECT_EQ(run_value_destroyed, 0);
    EXPECT_EQ(destroyed, 4);
  });
  EXPECT_TRUE(misuse_recorder::taken().empty());
}

}  // namespace
