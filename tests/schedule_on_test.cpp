// asyncctx::schedule_on: moves a task onto an executor; the task keeps its context, the
// executor's threads keep theirs.
#include <asyncctx/context_executor.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <sys/syscall.h>
#include <unistd.h>

namespace {

using asyncctx::sync_wait;
using asyncctx::task;

asyncctx::variable<int> id;

// A hand-written single-thread executor with post(f) only, knowing nothing about context:
// its thread has a context of its own (id == -5) that must survive every task.
class raw_loop {
 public:
  raw_loop()
      : thread_([this] {
          id.run(-5, [this] {
            for (;;) {
              std::function<void()> f;
              {
                std::unique_lock l(m_);
                cv_.wait(l, [this] { return stop_ || !q_.empty(); });
                if (q_.empty()) return;
                f = std::move(q_.front());
                q_.pop_front();
              }
              f();
              if (id.value_or(0) != -5) ++leaks;
            }
          });
        }) {}
  ~raw_loop() {
    {
      std::lock_guard l(m_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
  struct executor {
    raw_loop* loop;
    void post(std::function<void()> f) const {
      {
        std::lock_guard l(loop->m_);
        loop->q_.push_back(std::move(f));
      }
      loop->cv_.notify_one();
    }
  };
  executor get_executor() { return executor{this}; }
  std::thread::id thread_id() const { return thread_.get_id(); }
  int leaks = 0;

 private:
  std::mutex m_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> q_;
  bool stop_ = false;
  std::thread thread_;
};

struct throwing_executor {
  void execute(std::function<void()>) const { throw std::runtime_error("rejected"); }
};

// The kernel's id of the calling thread. Not std::this_thread::get_id(): glibc declares
// pthread_self() __attribute__((const)), so clang may reuse one call's result across a
// co_await, although the coroutine resumed on another thread.
long os_thread_id() { return static_cast<long>(::syscall(SYS_gettid)); }

TEST(ScheduleOn, MovesTheTaskToThePoolKeepingItsContext) {
  asyncctx::thread_pool pool(2);
  auto t = [](asyncctx::thread_pool& p) -> task<> {
    const long here = os_thread_id();
    co_await asyncctx::schedule_on(p.get_executor());
    EXPECT_NE(os_thread_id(), here);
    EXPECT_EQ(id.value_or(0), 8);
    auto s = id.set(9);
    co_await asyncctx::schedule_on(p.get_executor());
    EXPECT_EQ(id.value_or(0), 9);
  };
  id.run(8, [&] { sync_wait(t(pool)); });
}

TEST(ScheduleOn, WorksWithAPostOnlyExecutorThatIgnoresContext) {
  raw_loop loop;
  auto t = [](raw_loop& l) -> task<> {
    for (int i = 0; i < 100; ++i) {
      co_await asyncctx::schedule_on(l.get_executor());
      EXPECT_EQ(std::this_thread::get_id(), l.thread_id());
      EXPECT_EQ(id.value_or(0), 21);
      auto s = id.set(21);  // a fresh frame per step: the loop thread must not keep any
    }
  };
  id.run(21, [&] { sync_wait(t(loop)); });
  EXPECT_EQ(loop.leaks, 0);
}

TEST(ScheduleOn, WorksThroughContextExecutor) {
  asyncctx::thread_pool pool(1);
  asyncctx::context_executor ex(pool.get_executor());
  auto t = [](auto e) -> task<int> {
    co_await asyncctx::schedule_on(e);
    co_return id.value_or(0);
  };
  EXPECT_EQ(id.run(4, [&] { return sync_wait(t(ex)); }), 4);
}

TEST(ScheduleOn, AnExecutorThatThrowsLeavesTheTaskWhereItWas) {
  auto t = []() -> task<int> {
    auto s = id.set(6);
    try {
      co_await asyncctx::schedule_on(throwing_executor{});
    } catch (const std::runtime_error&) {
      co_return id.value_or(0);
    }
    co_return -1;
  };
  EXPECT_EQ(sync_wait(t()), 6);
  EXPECT_EQ(id.get(), nullptr);
}

}  // namespace
