// The thread's spare context reference (frame.hpp, t_thread_spare): a handler that ends in
// the thread's own context leaves its reference to the thread, and the next operation started
// in that context takes it, so a chain of handlers touches no reference count. These tests pin
// that it happens and that it is invisible: a value dies exactly when the last real holder of
// its context lets go, as if there were no spare.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <coroutine>
#include <cstdint>
#include <optional>
#include <thread>
#include <vector>

#include "../support/tracked.hpp"

namespace {

namespace net = boost::asio;
using asyncctx_test::tracked;

asyncctx::async_local_storage<tracked> store;

int stored_value() {
  const tracked* t = store.get_store();
  return t != nullptr ? t->value : -1;
}

// Reference count of the frame current on this thread (0 for the empty context).
std::uint32_t current_refs() {
  const asyncctx::detail::frame* f = asyncctx::detail::current_frame();
  return f != nullptr ? f->refs.load() : 0;
}

// Reposts itself `left` times, recording per hop the count before and after the post.
struct counting_hop {
  net::io_context* ioc;
  int left;
  std::vector<std::uint32_t>* before;
  std::vector<std::uint32_t>* after;
  void operator()() const {
    if (left == 0) return;
    before->push_back(current_refs());
    net::post(*ioc, counting_hop{ioc, left - 1, before, after});
    after->push_back(current_refs());
  }
};

// A chain of `hops` handlers run to its end on this thread, in the current context.
struct hop_chain {
  net::io_context ioc;
  std::vector<std::uint32_t> before;
  std::vector<std::uint32_t> after;
  void run(int hops) {
    before.clear();
    after.clear();
    ioc.restart();
    net::post(ioc, counting_hop{&ioc, hops, &before, &after});
    ioc.run();
  }
};

TEST(AsioSpare, PostFromAHandlerInTheThreadsContextTakesTheSpare) {
  int destroyed = 0;
  hop_chain chain;
  store.run(tracked(1, &destroyed), [&] { chain.run(50); });
  const std::vector<std::uint32_t>& before = chain.before;
  const std::vector<std::uint32_t>& after = chain.after;
  ASSERT_EQ(before.size(), 50U);
  // The first handler finds no spare and increments; every later one takes the spare the
  // previous handler left, so posting does not change the count.
  EXPECT_EQ(after[0], before[0] + 1);
  for (std::size_t i = 1; i < before.size(); ++i) {
    EXPECT_EQ(after[i], before[i]) << "hop " << i;
    EXPECT_EQ(before[i], before[1]) << "hop " << i;
  }
  EXPECT_EQ(destroyed, 1);
}

TEST(AsioSpare, ValueDiesWhenTheRunThatBoundItEnds) {
  int destroyed = 0;
  hop_chain chain;
  store.run(tracked(2, &destroyed), [&] {
    chain.run(10);
    EXPECT_EQ(destroyed, 0);  // the run and the spare hold it
  });
  EXPECT_EQ(destroyed, 1);  // the spare went with the run's own reference
}

TEST(AsioSpare, ValueDiesWhenASnapshotRunOnAnotherThreadEnds) {
  int destroyed = 0;
  std::optional<asyncctx::snapshot> snap;
  store.run(tracked(3, &destroyed), [&] { snap.emplace(); });
  std::thread worker([&] {
    hop_chain chain;
    snap->run([&] { chain.run(10); });
    snap.reset();
    EXPECT_EQ(destroyed, 1);  // still on the worker, before its thread-exit actions
  });
  worker.join();
  EXPECT_EQ(destroyed, 1);
}

TEST(AsioSpare, EnterWithAtThreadLevelDropsTheSpare) {
  int first = 0;
  int second = 0;
  std::thread worker([&] {
    hop_chain chain;
    store.enter_with(tracked(4, &first));
    chain.run(10);
    EXPECT_EQ(first, 0);
    store.enter_with(tracked(5, &second));
    EXPECT_EQ(first, 1);  // the thread's reference and its spare went together
    // The chain leaves no spare behind: its last handler finds the spare its predecessor
    // left, and releasing its own reference drops that spare with it (frame.hpp, release).
    // Only the thread's own reference is left, for the thread-exit action to release.
    chain.run(10);
    EXPECT_EQ(current_refs(), 1U);
    EXPECT_EQ(second, 0);
  });
  worker.join();
  EXPECT_EQ(first, 1);
  EXPECT_EQ(second, 1);
}

// Resumes the awaiting coroutine on a new thread, joined by the test.
struct resume_on_new_thread {
  std::thread* thread;
  bool await_ready() const noexcept { return false; }
  void await_suspend(std::coroutine_handle<> h) const {
    *thread = std::thread([h] { h.resume(); });
  }
  void await_resume() const noexcept {}
};

// A task can carry its context to another thread without releasing it on this one, so a
// handler that ends inside a task must not leave a spare of the task's context here.
TEST(AsioSpare, HandlerRunInsideATaskLeavesNoSpareBehind) {
  int destroyed = 0;
  std::thread other;
  auto body = [&]() -> asyncctx::task<int> {
    store.enter_with(tracked(6, &destroyed));
    net::io_context ioc;
    int seen = -1;
    net::post(ioc, [&] { seen = stored_value(); });
    ioc.poll();  // the handler runs here, inside the task, in the task's context
    EXPECT_EQ(seen, 6);
    co_await resume_on_new_thread{&other};
    co_return stored_value();  // ends on the other thread, which releases the context
  };
  EXPECT_EQ(asyncctx::sync_wait(body()), 6);
  other.join();
  EXPECT_EQ(destroyed, 1);
}

}  // namespace
