// asyncctx::context_executor<Ex>: any executor with execute(f) or post(f), made to run each
// function in its submission-time context.
#include <asyncctx/context_executor.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <deque>
#include <functional>
#include <stdexcept>
#include <utility>

namespace {

// A hand-written queue that knows nothing about contexts: functions run when drained.
struct queue_state {
  std::deque<std::function<void()>> queue;
  void drain() {
    while (!queue.empty()) {
      auto f = std::move(queue.front());
      queue.pop_front();
      f();
    }
  }
};

struct post_only_executor {
  queue_state* q;
  template <class F>
  void post(F&& f) const {
    q->queue.emplace_back(std::forward<F>(f));
  }
};

struct execute_only_executor {
  queue_state* q;
  template <class F>
  void execute(F&& f) const {
    q->queue.emplace_back(std::forward<F>(f));
  }
};

struct both_executor {
  queue_state* q;
  int* executes;
  template <class F>
  void execute(F&& f) const {
    ++*executes;
    q->queue.emplace_back(std::forward<F>(f));
  }
  template <class F>
  void post(F&& f) const {
    q->queue.emplace_back(std::forward<F>(f));
  }
};

TEST(ContextExecutor, PostOnlyExecutorRunsInTheSubmissionContext) {
  queue_state q;
  asyncctx::context_executor ex(post_only_executor{&q});
  asyncctx::variable<int> v;
  int seen = 0;
  v.run(1, [&] { ex.post([&] { seen = v.value_or(-1); }); });
  v.run(2, [&] { q.drain(); });
  EXPECT_EQ(seen, 1);
}

TEST(ContextExecutor, ExecuteOnlyExecutorRunsInTheSubmissionContext) {
  queue_state q;
  asyncctx::context_executor ex(execute_only_executor{&q});
  asyncctx::variable<int> v;
  int seen = 0;
  v.run(1, [&] { ex.execute([&] { seen = v.value_or(-1); }); });
  q.drain();
  EXPECT_EQ(seen, 1);
}

TEST(ContextExecutor, TheDrainingCodeKeepsItsOwnContext) {
  queue_state q;
  asyncctx::context_executor ex(post_only_executor{&q});
  asyncctx::variable<int> v;
  v.run(1, [&] { ex.post([&] { auto s = v.set(3); }); });
  v.run(2, [&] {
    q.drain();
    EXPECT_EQ(*v.get(), 2);
  });
}

TEST(ContextExecutor, ExecuteIsPreferredWhenBothExist) {
  queue_state q;
  int executes = 0;
  asyncctx::context_executor ex(both_executor{&q, &executes});
  ex.post([] {});
  EXPECT_EQ(executes, 1);
  q.drain();
}

TEST(ContextExecutor, EmptyStdFunctionThrowsInvalidArgument) {
  queue_state q;
  asyncctx::context_executor ex(post_only_executor{&q});
  std::function<void()> empty;
  EXPECT_THROW(ex.post(empty), std::invalid_argument);
  EXPECT_TRUE(q.queue.empty());
}

TEST(ContextExecutor, WrapsAThreadPoolExecutor) {
  asyncctx::thread_pool pool(1);
  asyncctx::context_executor ex(pool.get_executor());
  asyncctx::variable<int> v;
  std::atomic<int> seen{0};
  v.run(8, [&] { ex.execute([&] { seen = v.value_or(-1); }); });
  pool.wait_idle();
  EXPECT_EQ(seen, 8);
}

TEST(ContextExecutor, InnerGivesTheWrappedExecutor) {
  queue_state q;
  asyncctx::context_executor ex(post_only_executor{&q});
  EXPECT_EQ(ex.inner().q, &q);
}

}  // namespace
