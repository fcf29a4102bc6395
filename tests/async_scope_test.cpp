// asyncctx::async_scope: entering, nesting, and when a scope ends (the last thing that can
// reach it is done: the run returned and every captured task, pool job or snapshot is gone).
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/exception_text.hpp"
#include "support/misuse_recorder.hpp"

namespace {

using asyncctx::async_scope;
using asyncctx::async_var;

TEST(AsyncScope, RunCallsTheFunctionInANewScopeAndReturnsItsResult) {
  EXPECT_FALSE(async_scope::active());
  const int r = async_scope::run([](int a, int b) { return async_scope::active() ? a + b : -1; }, 2, 3);
  EXPECT_EQ(r, 5);
  EXPECT_FALSE(async_scope::active());
}

TEST(AsyncScope, RunPropagatesTheFunctionsExceptionAndLeavesTheScope) {
  EXPECT_THROW(async_scope::run([] { throw std::runtime_error("boom"); }), std::runtime_error);
  EXPECT_FALSE(async_scope::active());
}

TEST(AsyncScope, AScopeFollowsAPoolJobAndATask) {
  asyncctx::thread_pool pool(1);
  async_scope::run([&] {
    EXPECT_TRUE(pool.submit([] { return async_scope::active(); }).get());
    auto t = []() -> asyncctx::task<bool> { co_return async_scope::active(); };
    EXPECT_TRUE(asyncctx::sync_wait(t()));
  });
  EXPECT_FALSE(pool.submit([] { return async_scope::active(); }).get());
}

// A value whose destruction the tests can see.
struct probe {
  std::shared_ptr<std::atomic<int>> destroyed = std::make_shared<std::atomic<int>>(0);
  struct token {
    std::shared_ptr<std::atomic<int>> counter;
    ~token() {
      if (counter) ++*counter;
    }
  };
  std::shared_ptr<token> make() const {
    auto t = std::make_shared<token>();
    t->counter = destroyed;
    return t;
  }
};

TEST(AsyncScope, TheScopeEndsWhenTheRunReturnsIfNothingCapturedIt) {
  probe p;
  async_var<std::shared_ptr<probe::token>> v("Probe");
  async_scope::run([&] { v.set(p.make()); });
  EXPECT_EQ(*p.destroyed, 1);
}

TEST(AsyncScope, APoolJobThatCapturedTheScopeKeepsItUntilTheJobEnds) {
  probe p;
  async_var<std::shared_ptr<probe::token>> v("Probe");
  asyncctx::thread_pool pool(1);
  std::promise<void> release_job;
  std::shared_future<void> released = release_job.get_future().share();
  std::promise<bool> seen_by_job;
  async_scope::run([&] {
    v.set(p.make());
    pool.post([&, released] {
      released.wait();
      seen_by_job.set_value(v.exists());  // after the run returned: the scope is still there
    });
  });
  EXPECT_EQ(*p.destroyed, 0) << "the scope ended while a job that captured it had not run";
  release_job.set_value();
  EXPECT_TRUE(seen_by_job.get_future().get());
  pool.wait_idle();
  EXPECT_EQ(*p.destroyed, 1) << "the scope did not end with the last job that held it";
}

asyncctx::task<void> outlive_the_request(std::shared_future<void> go, asyncctx::thread_pool& pool,
                                         const async_var<int>& v, std::promise<int>& seen) {
  co_await asyncctx::schedule_on(pool.get_executor());
  go.wait();
  seen.set_value(v.get());
}

TEST(AsyncScope, ASpawnedTaskThatOutlivesTheRunKeepsTheScopeUntilItEnds) {
  asyncctx::thread_pool pool(1);
  async_var<int> v("Request");
  std::promise<void> go;
  std::promise<int> seen;
  auto disposed = std::make_shared<std::atomic<int>>(0);
  asyncctx::service_registry services;
  struct session {
    std::shared_ptr<std::atomic<int>> disposed;
    ~session() { ++*disposed; }
  };
  services.add_scoped<session>([disposed] { return std::unique_ptr<session>(new session{disposed}); });
  async_scope::run(services, [&] {
    v.set(7);
    (void)asyncctx::resolve<session>();
    asyncctx::spawn(outlive_the_request(go.get_future().share(), pool, v, seen));
  });
  EXPECT_EQ(*disposed, 0) << "the request's services were disposed under a running task";
  go.set_value();
  EXPECT_EQ(seen.get_future().get(), 7);
  pool.wait_idle();
  for (int i = 0; i < 200 && *disposed == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(*disposed, 1);
}

TEST(AsyncScope, ANestedScopeKeepsItsParentAlive) {
  probe p;
  async_var<std::shared_ptr<probe::token>> v("Outer");
  std::optional<asyncctx::snapshot> inner;
  async_scope::run([&] {
    v.set(p.make());
    async_scope::run([&] { inner.emplace(); });
  });
  EXPECT_EQ(*p.destroyed, 0);
  EXPECT_TRUE(inner->run([&] { return v.exists(); }));
  inner.reset();
  EXPECT_EQ(*p.destroyed, 1);
}

TEST(AsyncScope, WorkADisposerStartedFindsTheScopeDisposed) {
  asyncctx::thread_pool pool(1);
  async_var<int> v("Late");
  asyncctx::service_registry services;
  struct conn {};
  std::promise<void> go;
  std::shared_future<void> started = go.get_future().share();
  std::promise<std::string> outcome;
  services.add_scoped<conn>([] { return conn{}; },
                            [&](conn&) {
                              // Disposing: the scope's values are still readable here...
                              EXPECT_EQ(v.get(), 1);
                              pool.post([&, started] {
                                started.wait();
                                try {
                                  (void)v.get();
                                  outcome.set_value("get returned");
                                } catch (const asyncctx::scope_disposed& e) {
                                  try {
                                    (void)asyncctx::resolve<conn>();
                                    outcome.set_value("resolve returned");
                                  } catch (const asyncctx::scope_disposed&) {
                                    outcome.set_value(e.what());
                                  }
                                }
                              });
                            });
  async_scope::run(services, [&] {
    v.set(1);
    (void)asyncctx::resolve<conn>();
  });
  go.set_value();
  const std::string what = outcome.get_future().get();
  EXPECT_NE(what.find("disposed"), std::string::npos) << what;
  EXPECT_NE(what.find("Late"), std::string::npos) << what;
  pool.wait_idle();
}

}  // namespace
