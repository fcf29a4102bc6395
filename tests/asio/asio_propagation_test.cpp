// Automatic propagation through Boost.Asio's handler-tracking hook (asyncctx::asio defines
// BOOST_ASIO_CUSTOM_HANDLER_TRACKING): every handler runs in the context current when its
// operation was started, never in another operation's, and the thread is back in its own
// context after each handler. Every io_context / pool lives inside its test, so the live
// context check of the test main sees all references released.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/variable.hpp>

#include <boost/asio.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "asio_test_support.hpp"

#ifndef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
#error "this test must be built with asyncctx::asio (the handler-tracking definition)"
#endif

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

using asio_test::current;
using asio_test::g_var;
using asio_test::in_context;

TEST(AsioPropagation, TrackingHeaderIsTheOneAsioUses) {
  // Asio's operations derive from our tracked handler: the hook is really in place.
  static_assert(std::is_base_of_v<asyncctx::asio::detail::tracked_handler, net::detail::scheduler_operation>);
}

TEST(AsioPropagation, PostDispatchDeferSeeTheirStartContext) {
  std::vector<std::pair<int, int>> seen;  // (expected, seen)
  {
    net::io_context ioc;
    in_context(1, [&] { net::post(ioc, [&] { seen.emplace_back(1, current()); }); });
    in_context(2, [&] { net::dispatch(ioc, [&] { seen.emplace_back(2, current()); }); });
    in_context(3, [&] { net::defer(ioc, [&] { seen.emplace_back(3, current()); }); });
    in_context(4, [&] { net::post(ioc.get_executor(), [&] { seen.emplace_back(4, current()); }); });
    net::post(ioc, [&] { seen.emplace_back(-1, current()); });  // started in the empty context
    // The thread running the loop has its own context, which no handler may see.
    in_context(99, [&] {
      ioc.run();
      EXPECT_EQ(current(), 99);
    });
  }
  ASSERT_EQ(seen.size(), 5U);
  for (auto [expected, got] : seen) EXPECT_EQ(expected, got);
  EXPECT_EQ(current(), -1);
}

TEST(AsioPropagation, HandlerStartedInsideAHandlerCapturesThatHandlersContext) {
  std::vector<int> seen;
  {
    net::io_context ioc;
    in_context(1, [&] {
      net::post(ioc, [&] {
        seen.push_back(current());                                                   // 1
        net::post(ioc, [&] { seen.push_back(current()); });                          // 1 again, a hop later
        in_context(5, [&] { net::post(ioc, [&] { seen.push_back(current()); }); });  // 5
        // dispatch from inside the loop runs inline, in the running handler's context
        net::dispatch(ioc, [&] { seen.push_back(current() * 100); });  // 100
        seen.push_back(current());                                     // still 1
      });
    });
    ioc.run();
  }
  EXPECT_EQ(seen, (std::vector<int>{1, 100, 1, 1, 5}));
}

TEST(AsioPropagation, ThreadIsBackInItsOwnContextAfterEachHandler) {
  asyncctx::async_local_storage<std::string> als;
  std::vector<std::string> seen;
  auto store = [&] {
    const std::string* s = als.get_store();
    return s != nullptr ? *s : std::string("none");
  };
  {
    net::io_context ioc;
    als.run(std::string("a"), [&] {
      net::post(ioc, [&] {
        // enter_with inside a handler must not outlive the handler
        als.enter_with(std::string("leaked?"));
        seen.push_back(store());
      });
    });
    net::post(ioc, [&] { seen.push_back(store()); });  // empty context: no store
    als.run(std::string("b"), [&] { net::post(ioc, [&] { seen.push_back(store()); }); });
    als.run(std::string("thread"), [&] {
      ioc.run();
      EXPECT_EQ(store(), "thread");
    });
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"leaked?", "none", "b"}));
  EXPECT_EQ(asyncctx::detail::current_frame(), nullptr);
}

TEST(AsioPropagation, ThrowingHandlerPutsTheThreadsContextBack) {
  std::vector<int> seen;
  {
    net::io_context ioc;
    in_context(1, [&] { net::post(ioc, [] { throw std::runtime_error("boom"); }); });
    in_context(2, [&] { net::post(ioc, [&] { seen.push_back(current()); }); });
    in_context(99, [&] {
      EXPECT_THROW(ioc.run(), std::runtime_error);
      EXPECT_EQ(current(), 99);
      ioc.restart();
      ioc.run();
      EXPECT_EQ(current(), 99);
    });
  }
  EXPECT_EQ(seen, (std::vector<int>{2}));
}

TEST(AsioPropagation, InterleavedTimersNeverMix) {
  std::vector<std::pair<int, int>> seen;
  {
    net::io_context ioc;
    net::steady_timer late(ioc), early(ioc), cancelled(ioc);
    in_context(1, [&] {
      late.expires_after(20ms);
      late.async_wait([&](boost::system::error_code ec) {
        EXPECT_FALSE(ec);
        seen.emplace_back(1, current());
      });
    });
    in_context(2, [&] {
      early.expires_after(1ms);
      early.async_wait([&](boost::system::error_code ec) {
        EXPECT_FALSE(ec);
        seen.emplace_back(2, current());
      });
    });
    in_context(3, [&] {
      cancelled.expires_after(1h);
      cancelled.async_wait([&](boost::system::error_code ec) {
        EXPECT_EQ(ec, net::error::operation_aborted);
        seen.emplace_back(3, current());
      });
    });
    in_context(4, [&] { cancelled.cancel(); });  // cancelling does not change whose handler it is
    ioc.run();
  }
  ASSERT_EQ(seen.size(), 3U);
  for (auto [expected, got] : seen) EXPECT_EQ(expected, got);
}

TEST(AsioPropagation, PendingHandlersOfADestroyedIoContextReleaseTheirContext) {
  {
    net::io_context ioc;
    net::steady_timer t(ioc);
    in_context(1, [&] {
      net::post(ioc, [] { ADD_FAILURE() << "never run"; });
      t.expires_after(1h);
      t.async_wait([](boost::system::error_code) {});
    });
  }  // no run: the live-context check of the test main proves the references went
}

TEST(AsioPropagation, StrandHandlersKeepTheirOwnContexts) {
  std::atomic<int> mismatches{0};
  std::atomic<int> ran{0};
  {
    net::io_context ioc;
    auto strand = net::make_strand(ioc);
    net::io_context::strand legacy(ioc);
    for (int i = 0; i < 200; ++i) {
      in_context(i, [&, i] {
        auto check = [&, i] {
          if (current() != i) ++mismatches;
          ++ran;
        };
        if (i % 3 == 0) net::post(strand, check);
        if (i % 3 == 1) net::dispatch(strand, check);
        if (i % 3 == 2) net::post(legacy, check);
      });
    }
    std::vector<std::thread> threads;
    for (int k = 0; k < 3; ++k) {
      threads.emplace_back([&, k] {
        in_context(1000 + k, [&] {
          ioc.run();
          if (current() != 1000 + k) ++mismatches;
        });
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(ran.load(), 200);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(AsioPropagation, TcpAcceptConnectWriteReadAndResolve) {
  std::vector<std::pair<int, int>> seen;
  {
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    net::ip::tcp::socket server(ioc), client(ioc);
    net::ip::tcp::resolver resolver(ioc);
    std::string to_send = "hello";
    std::array<char, 5> buf{};

    in_context(10, [&] {
      acceptor.async_accept(server, [&](boost::system::error_code ec) {
        ASSERT_FALSE(ec);
        seen.emplace_back(10, current());
        in_context(11, [&] {
          net::async_read(server, net::buffer(buf), [&](boost::system::error_code ec2, std::size_t n) {
            EXPECT_FALSE(ec2);
            EXPECT_EQ(n, 5U);
            seen.emplace_back(11, current());
          });
        });
      });
    });
    in_context(20, [&] {
      resolver.async_resolve("127.0.0.1", std::to_string(acceptor.local_endpoint().port()),
                             [&](boost::system::error_code ec, net::ip::tcp::resolver::results_type results) {
                               ASSERT_FALSE(ec);
                               seen.emplace_back(20, current());
                               in_context(21, [&] {
                                 net::async_connect(client, results, [&](boost::system::error_code ec2, auto) {
                                   ASSERT_FALSE(ec2);
                                   seen.emplace_back(21, current());
                                   net::async_write(client, net::buffer(to_send),
                                                    [&](boost::system::error_code ec3, std::size_t) {
                                                      EXPECT_FALSE(ec3);
                                                      seen.emplace_back(21, current());
                                                    });
                                 });
                               });
                             });
    });
    ioc.run();
  }
  ASSERT_EQ(seen.size(), 5U);
  for (auto [expected, got] : seen) EXPECT_EQ(expected, got);
}

TEST(AsioPropagation, SignalSet) {
  int seen = 0;
  {
    net::io_context ioc;
    net::signal_set signals(ioc, SIGUSR1);
    in_context(7, [&] {
      signals.async_wait([&](boost::system::error_code ec, int signo) {
        EXPECT_FALSE(ec);
        EXPECT_EQ(signo, SIGUSR1);
        seen = current();
      });
    });
    std::raise(SIGUSR1);
    ioc.run();
  }
  EXPECT_EQ(seen, 7);
}

TEST(AsioPropagation, ThreadPoolTasksSeeTheirSubmittersContext) {
  std::atomic<int> mismatches{0};
  std::atomic<int> ran{0};
  {
    net::thread_pool pool(4);
    for (int i = 0; i < 2000; ++i) {
      // Every other task is submitted from the empty context: it must see nothing, which
      // also proves no previous task left its context on the worker.
      auto check = [&, expected = i % 2 == 0 ? i : -1] {
        if (current() != expected) ++mismatches;
        ++ran;
      };
      if (i % 2 == 0) {
        in_context(i, [&] { net::post(pool, check); });
      } else {
        net::post(pool.get_executor(), check);
      }
    }
    pool.join();
  }
  EXPECT_EQ(ran.load(), 2000);
  EXPECT_EQ(mismatches.load(), 0);
}

TEST(AsioPropagation, OneIoContextFourThreadsThousandInterleavedOperations) {
  constexpr int kOps = 1000;
  std::atomic<int> mismatches{0};
  std::atomic<int> done{0};
  {
    net::io_context ioc(4);
    std::vector<std::unique_ptr<net::steady_timer>> timers;
    for (int i = 0; i < kOps; ++i) {
      in_context(i, [&, i] {
        // Second hop: started inside the first handler, must see the same value.
        auto second = [&, i] {
          if (current() != i) ++mismatches;
          ++done;
        };
        if (i % 2 == 0) {
          net::post(ioc, [&, i, second] {
            if (current() != i) ++mismatches;
            net::post(ioc, second);
          });
        } else {
          auto& t =
              *timers.emplace_back(std::make_unique<net::steady_timer>(ioc, std::chrono::microseconds(i % 7 * 300)));
          t.async_wait([&, i, second](boost::system::error_code ec) {
            if (ec || current() != i) ++mismatches;
            net::defer(ioc, second);
          });
        }
      });
    }
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) {
      threads.emplace_back([&, k] {
        in_context(5000 + k, [&] {
          ioc.run();
          if (current() != 5000 + k) ++mismatches;
        });
        if (asyncctx::detail::current_frame() != nullptr) ++mismatches;
      });
    }
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(done.load(), kOps);
  EXPECT_EQ(mismatches.load(), 0);
}

// --- awaitable coroutines: a per-coroutine context --------------------------------------

net::awaitable<void> sleep_for(std::chrono::milliseconds d) {
  net::steady_timer t(co_await net::this_coro::executor, d);
  co_await t.async_wait(net::use_awaitable);
}

net::awaitable<int> worker(int id, std::atomic<int>& mismatches) {
  if (current() != id) ++mismatches;  // captured at co_spawn
  auto bound = g_var.set(id * 10);    // persists across this coroutine's awaits only
  for (int step = 0; step < 5; ++step) {
    co_await sleep_for(std::chrono::milliseconds(1 + (id + step) % 3));
    if (current() != id * 10) ++mismatches;
    co_await net::post(co_await net::this_coro::executor, net::use_awaitable);
    if (current() != id * 10) ++mismatches;
  }
  co_return current();
}

TEST(AsioPropagation, AwaitableCoroutinesKeepAPerCoroutineContext) {
  std::atomic<int> mismatches{0};
  std::vector<int> results(6, 0);
  std::vector<int> completion_contexts(6, 0);
  {
    net::io_context ioc;
    for (int id = 1; id <= 5; ++id) {
      in_context(id, [&, id] {
        net::co_spawn(ioc, worker(id, mismatches), [&, id](std::exception_ptr e, int r) {
          EXPECT_FALSE(e);
          results[id] = r;
          completion_contexts[id] = current();
        });
        // The coroutine's set() never leaks out to the code that spawned it.
        if (current() != id) ++mismatches;
      });
    }
    in_context(99, [&] {
      ioc.run();
      if (current() != 99) ++mismatches;
    });
  }
  EXPECT_EQ(mismatches.load(), 0);
  for (int id = 1; id <= 5; ++id) {
    EXPECT_EQ(results[id], id * 10);
    EXPECT_EQ(completion_contexts[id], id) << "the completion handler runs in the co_spawn caller's context";
  }
}

TEST(AsioPropagation, AwaitableCoroutinesOnFourThreads) {
  std::atomic<int> mismatches{0};
  std::atomic<int> finished{0};
  {
    net::io_context ioc(4);
    for (int id = 1; id <= 40; ++id) {
      in_context(id, [&, id] {
        net::co_spawn(ioc, worker(id, mismatches), [&, id](std::exception_ptr e, int r) {
          if (e || r != id * 10 || current() != id) ++mismatches;
          ++finished;
        });
      });
    }
    std::vector<std::thread> threads;
    for (int k = 0; k < 4; ++k) threads.emplace_back([&] { ioc.run(); });
    for (auto& t : threads) t.join();
  }
  EXPECT_EQ(finished.load(), 40);
  EXPECT_EQ(mismatches.load(), 0);
}

}  // namespace
