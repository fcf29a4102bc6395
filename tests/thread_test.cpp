// asyncctx::thread: a std::jthread whose body starts in the creator's context.
#include <asyncctx/thread.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <optional>
#include <stop_token>
#include <string>
#include <thread>

#include "support/tracked.hpp"

namespace {

TEST(Thread, BodyStartsInTheCreatorsContext) {
  asyncctx::variable<int> v;
  int seen = 0;
  v.run(42, [&] {
    asyncctx::thread t([&] { seen = v.value_or(-1); });
    t.join();
  });
  EXPECT_EQ(seen, 42);
}

TEST(Thread, BodyReceivesItsArguments) {
  asyncctx::variable<int> v;
  std::string seen;
  v.run(1, [&] {
    asyncctx::thread t([&](int a, const std::string& s) { seen = std::to_string(*v.get() + a) + s; }, 2,
                       std::string("x"));
  });
  EXPECT_EQ(seen, "3x");
}

TEST(Thread, StopTokenFormReceivesTheThreadsToken) {
  asyncctx::variable<int> v;
  std::atomic<bool> started{false};
  int seen = 0;
  v.run(7, [&] {
    asyncctx::thread t(
        [&](std::stop_token token, int add) {
          started = true;
          while (!token.stop_requested()) std::this_thread::yield();
          seen = *v.get() + add;
        },
        1);
    while (!started) std::this_thread::yield();
    EXPECT_TRUE(t.request_stop());
    t.join();
  });
  EXPECT_EQ(seen, 8);
}

TEST(Thread, DestructorRequestsStopAndJoins) {
  std::atomic<bool> stopped{false};
  {
    asyncctx::thread t([&](std::stop_token token) {
      while (!token.stop_requested()) std::this_thread::yield();
      stopped = true;
    });
  }
  EXPECT_TRUE(stopped);
}

TEST(Thread, ChangesInTheBodyStayInTheThread) {
  asyncctx::variable<int> v;
  v.run(1, [&] {
    asyncctx::thread t([&] {
      auto s = v.set(2);
      EXPECT_EQ(*v.get(), 2);
    });
    t.join();
    EXPECT_EQ(*v.get(), 1);
  });
}

TEST(Thread, ADefaultConstructedThreadIsNotJoinable) {
  asyncctx::thread t;
  EXPECT_FALSE(t.joinable());
}

TEST(Thread, TheCreatorsValueLivesUntilTheThreadIsDone) {
  int destroyed = 0;
  asyncctx::variable<asyncctx_test::tracked> v;
  std::atomic<bool> release{false};
  std::optional<asyncctx::thread> t;
  v.run(asyncctx_test::tracked(1, &destroyed), [&] {
    t.emplace([&] {
      while (!release) std::this_thread::yield();
      EXPECT_EQ(v.get()->value, 1);
    });
  });
  EXPECT_EQ(destroyed, 0);
  release = true;
  t->join();
  EXPECT_EQ(destroyed, 1);
}

}  // namespace
