// asyncctx::async_var<T>: the AsyncVar rules, one test per rule, and the ordering of values
// set on one thread and read on another.
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using asyncctx::async_scope;
using asyncctx::async_var;

TEST(AsyncVar, GetReturnsTheValueSetInTheScope) {
  async_var<std::string> user("User");
  async_scope::run([&] {
    user.set("ada");
    EXPECT_EQ(user.get(), "ada");
  });
}

TEST(AsyncVar, ANestedScopeSeesTheOuterScopesValues) {
  async_var<std::string> db("Database");
  async_scope::run([&] {
    db.set("main-db");
    async_scope::run([&] {
      EXPECT_TRUE(db.exists());
      EXPECT_EQ(db.get(), "main-db");
    });
  });
}

TEST(AsyncVar, SetWritesTheInnermostScopeAndHidesTheOuterValueThere) {
  async_var<int> v("Counter");
  async_scope::run([&] {
    v.set(1);
    async_scope::run([&] {
      v.set(2);
      EXPECT_EQ(v.get(), 2);
    });
    EXPECT_EQ(v.get(), 1) << "the inner set must not reach the outer scope";
  });
}

TEST(AsyncVar, ASetInASiblingScopeIsNotSeen) {
  async_var<int> v("Sibling");
  async_scope::run([&] {
    async_scope::run([&] { v.set(1); });
    async_scope::run([&] { EXPECT_FALSE(v.exists()); });
    EXPECT_FALSE(v.exists());
  });
}

TEST(AsyncVar, SetReplacesTheValueInTheSameScope) {
  async_var<int> v("Replaced");
  async_scope::run([&] {
    v.set(1);
    v.set(2);
    EXPECT_EQ(v.get(), 2);
  });
}

TEST(AsyncVar, GetOfAnUnsetVariableThrowsAnErrorThatNamesIt) {
  async_var<int> v("UnsetThing");
  async_scope::run([&] {
    try {
      (void)v.get();
      FAIL() << "get of an unset variable returned";
    } catch (const asyncctx::async_var_not_set& e) {
      EXPECT_EQ(e.name(), "UnsetThing");
      EXPECT_NE(std::string(e.what()).find("\"UnsetThing\""), std::string::npos) << e.what();
    }
  });
}

TEST(AsyncVar, ExistsTellsWithoutThrowing) {
  async_var<int> v("Maybe");
  async_scope::run([&] {
    bool before = true;
    EXPECT_NO_THROW(before = v.exists());
    EXPECT_FALSE(before);
    v.set(3);
    EXPECT_TRUE(v.exists());
  });
}

TEST(AsyncVar, OutsideAnyScopeGetSetAndExistsThrowNoScope) {
  async_var<int> v("Nowhere");
  EXPECT_THROW((void)v.get(), asyncctx::no_scope);
  EXPECT_THROW(v.set(1), asyncctx::no_scope);
  EXPECT_THROW((void)v.exists(), asyncctx::no_scope);
  try {
    (void)v.get();
  } catch (const asyncctx::no_scope& e) {
    EXPECT_NE(std::string(e.what()).find("Nowhere"), std::string::npos) << e.what();
  }
}

TEST(AsyncVar, AnEmptyNameIsRefused) {
  EXPECT_THROW(async_var<int>(""), std::invalid_argument);
  async_var<int> named("x");
  EXPECT_EQ(named.name(), "x");
}

TEST(AsyncVar, AValueSetInAPoolJobIsSeenLaterOnAnyThread) {
  asyncctx::thread_pool pool(2);
  async_var<std::string> user("User");
  async_scope::run([&] {
    pool.submit([&] { user.set("set-in-a-job"); }).get();
    EXPECT_EQ(user.get(), "set-in-a-job");                                     // the submitting thread
    EXPECT_EQ(pool.submit([&] { return user.get(); }).get(), "set-in-a-job");  // another job
    std::string seen;
    std::thread([&, snap = asyncctx::snapshot()] { snap.run([&] { seen = user.get(); }); }).join();
    EXPECT_EQ(seen, "set-in-a-job");  // a plain thread, through a snapshot
  });
}

asyncctx::task<void> set_in_a_task(const async_var<int>& v, asyncctx::thread_pool& pool) {
  co_await asyncctx::schedule_on(pool.get_executor());
  v.set(42);
}

asyncctx::task<int> set_then_read(const async_var<int>& v, asyncctx::thread_pool& pool) {
  co_await set_in_a_task(v, pool);
  co_return v.get();
}

TEST(AsyncVar, AValueSetInATaskIsSeenByWhatRunsAfterItInTheSameScope) {
  asyncctx::thread_pool pool(2);
  async_var<int> v("FromTask");
  async_scope::run([&] {
    EXPECT_EQ(asyncctx::sync_wait(set_then_read(v, pool)), 42);
    EXPECT_EQ(v.get(), 42);
  });
}

TEST(AsyncVar, ScopesOfConcurrentRequestsAreIndependent) {
  asyncctx::thread_pool pool(2);
  async_var<int> v("Request");
  std::vector<std::future<int>> results;
  for (int i = 0; i < 50; ++i) {
    async_scope::run([&] {
      v.set(i);
      results.push_back(pool.submit([&] {
        std::this_thread::yield();
        return v.get();
      }));
    });
  }
  for (int i = 0; i < 50; ++i) EXPECT_EQ(results[i].get(), i);
}

// Label `concurrency`: run under ThreadSanitizer, this proves that set and get need no other
// synchronisation than the scope's own.
TEST(AsyncVar, ConcurrentSetsAndGetsOnOneScopeSeeWholeValuesInOrder) {
  asyncctx::thread_pool pool(3);
  async_var<std::vector<int>> v("Shared");
  async_scope::run([&] {
    v.set({0, 0, 0});
    std::atomic<bool> stop{false};
    auto writer = pool.submit([&] {
      for (int i = 1; i <= 2000; ++i) v.set({i, i, i});
      stop = true;
    });
    std::vector<std::future<bool>> readers;
    for (int r = 0; r < 2; ++r) {
      readers.push_back(pool.submit([&] {
        int last = 0;
        while (!stop.load()) {
          const std::vector<int> seen = v.get();
          if (seen.size() != 3 || seen[0] != seen[1] || seen[1] != seen[2] || seen[0] < last) return false;
          last = seen[0];
        }
        return true;
      }));
    }
    writer.get();
    for (auto& r : readers) EXPECT_TRUE(r.get()) << "a get saw a torn value or went back in time";
    EXPECT_EQ(v.get(), (std::vector<int>{2000, 2000, 2000}));
  });
}

}  // namespace
