// promise<T>: settled once from any thread, broken promises, resolve(future) adoption, and the
// context rules of settling (promise.hpp).
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/broken_promise.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

asyncctx::async_local_storage<std::string> als;

std::string store_or_none() {
  const std::string* s = als.get_store();
  return s != nullptr ? *s : "<none>";
}

TEST(Promise, ResolvesOnceLaterSettlesReturnFalse) {
  asyncctx::promise<int> p;
  auto f = p.get_future();
  EXPECT_FALSE(p.settled());
  EXPECT_TRUE(p.resolve(1));
  EXPECT_TRUE(p.settled());
  EXPECT_FALSE(p.resolve(2));
  EXPECT_FALSE(p.reject(std::runtime_error("late")));
  EXPECT_EQ(f.get(), 1);
}

TEST(Promise, RejectOnceThenResolveIsIgnored) {
  asyncctx::promise<void> p;
  auto f = p.get_future();
  EXPECT_TRUE(p.reject(std::runtime_error("first")));
  EXPECT_FALSE(p.resolve());
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(Promise, BrokenPromiseRejectsTheFuture) {
  asyncctx::future<int> f;
  {
    asyncctx::promise<int> p;
    f = p.get_future();
  }
  ASSERT_TRUE(f.ready());
  EXPECT_THROW(f.get(), asyncctx::broken_promise);
}

TEST(Promise, MoveAssignmentBreaksTheOverwrittenPromise) {
  asyncctx::promise<int> a;
  auto fa = a.get_future();
  a = asyncctx::promise<int>();
  EXPECT_THROW(fa.get(), asyncctx::broken_promise);
  EXPECT_TRUE(a.resolve(1));
}

TEST(Promise, ResolveWithAFutureAdoptsIt) {
  asyncctx::promise<int> outer, inner;
  auto f = outer.get_future();
  EXPECT_TRUE(outer.resolve(inner.get_future()));
  EXPECT_TRUE(outer.settled());
  EXPECT_FALSE(outer.resolve(5));  // locked in already
  EXPECT_FALSE(f.ready());
  std::thread([&] { inner.resolve(9); }).join();
  EXPECT_EQ(f.get(), 9);

  asyncctx::promise<int> self;
  self.resolve(self.get_future());
  EXPECT_THROW(self.get_future().get(), std::logic_error);
}

TEST(Promise, SettleFromAnotherThreadRunsCallbacksThereInTheirOwnContext) {
  asyncctx::promise<std::string> p;
  std::string seen_store;
  std::thread::id seen_thread;
  auto f = als.run("registrar", [&] {
    return p.get_future().then([&](const std::string& v) {
      seen_store = store_or_none();
      seen_thread = std::this_thread::get_id();
      return v + "!";
    });
  });
  std::thread::id settler;
  std::thread t([&] {
    settler = std::this_thread::get_id();
    als.run("settler", [&] {
      p.resolve("hi");
      EXPECT_EQ(store_or_none(), "settler");  // the callback's context did not leak
    });
  });
  t.join();
  EXPECT_EQ(f.get(), "hi!");
  EXPECT_EQ(seen_store, "registrar");
  EXPECT_EQ(seen_thread, settler);
}

TEST(Promise, SettledOnAPoolWorker) {
  asyncctx::thread_pool pool(2);
  std::atomic<int> ok{0};
  std::vector<asyncctx::future<int>> fs;
  std::vector<asyncctx::promise<int>> ps(64);
  for (int i = 0; i < 64; ++i) {
    fs.push_back(als.run("req" + std::to_string(i), [&, i] {
      return ps[i].get_future().then([&, i](int v) {
        if (store_or_none() == "req" + std::to_string(i)) ++ok;
        return v;
      });
    }));
  }
  for (int i = 0; i < 64; ++i) {
    als.run("poster", [&, i] { pool.post([&, i] { ps[i].resolve(i); }); });
  }
  for (int i = 0; i < 64; ++i) EXPECT_EQ(fs[i].get(), i);
  pool.wait_idle();
  EXPECT_EQ(ok, 64);
}

TEST(Promise, CallbackThatThrowsRestoresTheSettlersContext) {
  asyncctx::promise<int> p;
  auto f = als.run("cb", [&] { return p.get_future().then([](int) -> int { throw std::runtime_error("x"); }); });
  als.run("settler", [&] {
    p.resolve(1);
    EXPECT_EQ(store_or_none(), "settler");
  });
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(Promise, ACallbackEnterWithDoesNotLeakIntoTheSettler) {
  asyncctx::promise<int> p;
  auto f = p.get_future().then([](int v) {
    als.enter_with("entered in callback");
    return v;
  });
  p.resolve(1);
  EXPECT_EQ(store_or_none(), "<none>");
  EXPECT_EQ(f.get(), 1);
}

}  // namespace
