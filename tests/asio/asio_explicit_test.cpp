// The explicit forms — bind_context(token) and context_executor — in a program built WITHOUT
// the handler-tracking hook (this test links asyncctx::asyncctx + Boost::headers, not
// asyncctx::asio), where a plain Asio handler does not see the context it was started in.
#include <asyncctx/asio/bind_context.hpp>
#include <asyncctx/asio/context_executor.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/variable.hpp>

#include <boost/asio.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/deferred.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/use_future.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "asio_test_support.hpp"

#ifdef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
#error "this test checks the explicit forms without the handler-tracking hook"
#endif

namespace net = boost::asio;
using asyncctx::asio::bind_context;
using asyncctx::asio::context_executor;
using namespace std::chrono_literals;

namespace {

using asio_test::current;
using asio_test::g_var;
using asio_test::in_context;

TEST(AsioExplicit, WithoutTheHookAPlainHandlerLosesTheContext) {
  int seen = 0;
  {
    net::io_context ioc;
    in_context(1, [&] { net::post(ioc, [&] { seen = current(); }); });
    ioc.run();
  }
  EXPECT_EQ(seen, -1);
}

TEST(AsioExplicit, BindContextCallback) {
  std::vector<std::pair<int, int>> seen;
  {
    net::io_context ioc;
    net::steady_timer timer(ioc, 1ms);
    in_context(1, [&] { net::post(ioc, bind_context([&] { seen.emplace_back(1, current()); })); });
    in_context(2, [&] {
      timer.async_wait(bind_context([&](boost::system::error_code ec) {
        EXPECT_FALSE(ec);
        seen.emplace_back(2, current());
      }));
    });
    net::post(ioc, bind_context([&] { seen.emplace_back(-1, current()); }));
    in_context(99, [&] {
      ioc.run();
      EXPECT_EQ(current(), 99);
    });
  }
  ASSERT_EQ(seen.size(), 3U);
  for (auto [expected, got] : seen) EXPECT_EQ(expected, got);
}

TEST(AsioExplicit, BindContextWithAnExplicitSnapshot) {
  int seen = 0;
  {
    net::io_context ioc;
    asyncctx::snapshot snap = in_context(3, [] { return asyncctx::snapshot(); });
    net::post(ioc, bind_context(snap, [&] { seen = current(); }));
    ioc.run();
  }
  EXPECT_EQ(seen, 3);
}

TEST(AsioExplicit, BindContextDeferred) {
  int seen = 0;
  {
    net::io_context ioc;
    net::steady_timer timer(ioc, 1ms);
    auto op = in_context(4, [&] { return timer.async_wait(bind_context(net::deferred)); });
    std::move(op)([&](boost::system::error_code ec) {
      EXPECT_FALSE(ec);
      seen = current();
    });
    ioc.run();
  }
  EXPECT_EQ(seen, 4);
}

TEST(AsioExplicit, BindContextUseFuture) {
  net::io_context ioc;
  auto fut = in_context(5, [&] { return net::post(ioc, bind_context(net::use_future([] { return current(); }))); });
  std::thread runner([&] { ioc.run(); });
  EXPECT_EQ(fut.get(), 5);
  runner.join();
  std::future<void> plain = in_context(6, [&] {
    net::steady_timer t(ioc, 1ms);
    auto f = t.async_wait(bind_context(net::use_future));
    ioc.restart();
    ioc.run();
    return f;
  });
  EXPECT_NO_THROW(plain.get());
}

TEST(AsioExplicit, BindContextUseAwaitableResumesTheCoroutineInTheCapturedContext) {
  std::vector<int> seen;
  {
    net::io_context ioc;
    net::co_spawn(
        ioc,
        [&]() -> net::awaitable<void> {
          seen.push_back(current());  // no hook: the coroutine starts in the loop's context
          net::steady_timer timer(co_await net::this_coro::executor, 1ms);
          auto wait = in_context(7, [&] { return timer.async_wait(bind_context(net::use_awaitable)); });
          co_await std::move(wait);
          seen.push_back(current());
        },
        net::detached);
    ioc.run();
    EXPECT_EQ(current(), -1);
  }
  EXPECT_EQ(seen, (std::vector<int>{-1, 7}));
}

TEST(AsioExplicit, BindContextForwardsExecutorAllocatorAndCancellationSlot) {
  {
    // Associated executor: the handler still runs on its strand.
    net::io_context ioc;
    auto strand = net::make_strand(ioc);
    bool on_strand = false;
    int seen = 0;
    in_context(8, [&] {
      net::post(ioc, bind_context(net::bind_executor(strand, [&] {
                  on_strand = strand.running_in_this_thread();
                  seen = current();
                })));
    });
    ioc.run();
    EXPECT_TRUE(on_strand);
    EXPECT_EQ(seen, 8);
  }
  {
    // Associated allocator.
    using alloc = std::allocator<char>;
    auto h = bind_context(net::bind_allocator(alloc(), [] {}));
    static_assert(std::is_same_v<net::associated_allocator_t<decltype(h)>, alloc>);
    auto plain = bind_context([] {});
    static_assert(
        std::is_same_v<net::associated_executor_t<decltype(plain), net::system_executor>, net::system_executor>);
  }
  {
    // Associated cancellation slot: cancelling through it aborts the wait.
    net::io_context ioc;
    net::steady_timer timer(ioc, 1h);
    net::cancellation_signal signal;
    boost::system::error_code got;
    int seen = 0;
    in_context(9, [&] {
      timer.async_wait(bind_context(net::bind_cancellation_slot(signal.slot(), [&](boost::system::error_code ec) {
        got = ec;
        seen = current();
      })));
    });
    net::post(ioc, [&] { signal.emit(net::cancellation_type::all); });
    ioc.run();
    EXPECT_EQ(got, net::error::operation_aborted);
    EXPECT_EQ(seen, 9);
  }
}

TEST(AsioExplicit, ContextExecutorIsAnAsioExecutorThatForwardsProperties) {
  net::io_context ioc;
  context_executor ex(ioc.get_executor());
  static_assert(net::execution::is_executor<decltype(ex)>::value);
  EXPECT_EQ(&net::query(ex, net::execution::context), &ioc);
  auto never = net::require(ex, net::execution::blocking.never);
  static_assert(
      std::is_same_v<
          decltype(never),
          context_executor<std::decay_t<decltype(net::require(ioc.get_executor(), net::execution::blocking.never))>>>);
  EXPECT_EQ(net::query(never, net::execution::blocking), net::execution::blocking.never);
  auto tracked = net::prefer(ex, net::execution::outstanding_work.tracked);
  EXPECT_EQ(net::query(tracked, net::execution::outstanding_work), net::execution::outstanding_work.tracked);
  EXPECT_TRUE(ex == context_executor(ioc.get_executor()));
}

TEST(AsioExplicit, ContextExecutorRunsEachFunctionInItsSubmissionContext) {
  std::vector<std::pair<int, int>> seen;
  {
    net::io_context ioc;
    context_executor ex(ioc.get_executor());
    net::any_io_executor any = ex;  // survives type erasure
    in_context(1, [&] { net::post(ex, [&] { seen.emplace_back(1, current()); }); });
    in_context(2, [&] { net::dispatch(ex, [&] { seen.emplace_back(2, current()); }); });
    in_context(3, [&] { net::defer(ex, [&] { seen.emplace_back(3, current()); }); });
    in_context(4, [&] { net::post(any, [&] { seen.emplace_back(4, current()); }); });
    net::post(ex, [&] { seen.emplace_back(-1, current()); });
    in_context(99, [&] {
      ioc.run();
      EXPECT_EQ(current(), 99);
    });
  }
  ASSERT_EQ(seen.size(), 5U);
  for (auto [expected, got] : seen) EXPECT_EQ(expected, got);
}

TEST(AsioExplicit, ContextExecutorOverAStrandOnFourThreads) {
  std::atomic<int> mismatches{0}, ran{0};
  {
    net::io_context ioc(4);
    context_executor ex(net::make_strand(ioc));
    for (int i = 0; i < 1000; ++i) {
      in_context(i, [&, i] {
        net::post(ex, [&, i] {
          if (current() != i) ++mismatches;
          ++ran;
        });
      });
    }
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) threads.emplace_back([&] { ioc.run(); });
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(AsioExplicit, ContextExecutorOnAThreadPool) {
  std::atomic<int> mismatches{0}, ran{0};
  {
    net::thread_pool pool(4);
    context_executor ex(pool.get_executor());
    for (int i = 0; i < 1000; ++i) {
      auto check = [&, expected = i % 2 == 0 ? i : -1] {
        if (current() != expected) ++mismatches;
        ++ran;
      };
      if (i % 2 == 0) {
        in_context(i, [&] { net::post(ex, check); });
      } else {
        net::post(ex, check);
      }
    }
    pool.join();
  }
  EXPECT_EQ(ran.load(), 1000);
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
