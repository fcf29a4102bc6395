// Asio operations started in a cancellable context are cancelled with it, through Asio's own
// cancellation slots (asio/operation_cancellation.hpp): timers, socket reads, writes and
// connects, use_task, co_spawn; a user's own slot; and a deadline carried through three thread
// hops, a timer and a socket read, all on 127.0.0.1.
//
// Timing: the read must be aborted within 50 ms of the deadline with ASYNCCTX_STRESS=long (an
// idle machine); otherwise within 400 ms (a loaded CI machine).
#include <asyncctx/asio/bind_context.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>

#include <boost/asio.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <vector>

namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

bool long_mode() {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  return mode != nullptr && std::strcmp(mode, "long") == 0;
}

// A connected pair of sockets on 127.0.0.1; the peer writes nothing and reads nothing.
struct socket_pair {
  explicit socket_pair(net::io_context& io) : client(io), server(io) {
    tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
  }
  tcp::socket client;
  tcp::socket server;
};

TEST(AsioCancellation, ATimerWaitIsAbortedWhenItsContextIsCancelled) {
  net::io_context io;
  net::steady_timer timer(io, 10s);
  boost::system::error_code result;
  bool cancelled_inside = false;
  asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
    timer.async_wait(asyncctx::asio::bind_context([&](boost::system::error_code ec) {
      result = ec;
      cancelled_inside = asyncctx::cancelled();
    }));
    net::post(io, [h] { h.cancel(); });
  });
  const auto start = clock_type::now();
  io.run();
  EXPECT_LT(clock_type::now() - start, 5s);
  EXPECT_EQ(result, net::error::operation_aborted);
  EXPECT_TRUE(cancelled_inside);
}

TEST(AsioCancellation, ATimerWaitStartedInACancelledContextFailsAtOnce) {
  net::io_context io;
  net::steady_timer timer(io, 10s);
  boost::system::error_code result;
  asyncctx::with_timeout(
      0s, [&] { timer.async_wait(asyncctx::asio::bind_context([&](boost::system::error_code ec) { result = ec; })); });
  const auto start = clock_type::now();
  io.run();
  EXPECT_LT(clock_type::now() - start, 5s);
  EXPECT_EQ(result, net::error::operation_aborted);
}

TEST(AsioCancellation, AnOperationInAContextThatIsNeverCancelledCompletesNormally) {
  net::io_context io;
  net::steady_timer timer(io, 1ms);
  boost::system::error_code result = net::error::fault;
  asyncctx::with_timeout(
      1h, [&] { timer.async_wait(asyncctx::asio::bind_context([&](boost::system::error_code ec) { result = ec; })); });
  io.run();
  EXPECT_FALSE(result);
}

TEST(AsioCancellation, ASocketReadIsAbortedAtTheDeadlineAndTheSocketStaysOpen) {
  net::io_context io;
  socket_pair pair(io);
  char buf[16];
  boost::system::error_code result;
  clock_type::time_point deadline, aborted;
  asyncctx::with_timeout(100ms, [&] {
    deadline = *asyncctx::current_deadline();
    pair.client.async_read_some(net::buffer(buf),
                                asyncctx::asio::bind_context([&](boost::system::error_code ec, std::size_t) {
                                  aborted = clock_type::now();
                                  result = ec;
                                }));
  });
  io.run();
  EXPECT_EQ(result, net::error::operation_aborted);
  EXPECT_GE(aborted, deadline);
  EXPECT_TRUE(pair.client.is_open());
  // The socket still works: a later read gets what the peer writes.
  net::write(pair.server, net::buffer("x", 1));
  EXPECT_EQ(pair.client.read_some(net::buffer(buf)), 1U);
}

TEST(AsioCancellation, ASocketWriteIsAbortedWhenItsContextIsCancelled) {
  net::io_context io;
  socket_pair pair(io);
  std::vector<char> big(std::size_t{64} << 20, 'x');  // far more than the socket buffers hold
  boost::system::error_code result;
  asyncctx::with_timeout(100ms, [&] {
    net::async_write(pair.client, net::buffer(big),
                     asyncctx::asio::bind_context([&](boost::system::error_code ec, std::size_t) { result = ec; }));
  });
  io.run();
  EXPECT_EQ(result, net::error::operation_aborted);
  EXPECT_TRUE(pair.client.is_open());
}

TEST(AsioCancellation, AConnectStartedInACancelledContextFailsAtOnce) {
  net::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(net::ip::address_v4::loopback(), 0));
  tcp::socket socket(io);
  boost::system::error_code result;
  asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
    h.cancel();
    socket.async_connect(acceptor.local_endpoint(),
                         asyncctx::asio::bind_context([&](boost::system::error_code ec) { result = ec; }));
  });
  io.run();
  EXPECT_EQ(result, net::error::operation_aborted);
  boost::system::error_code not_connected;
  socket.remote_endpoint(not_connected);  // never started: no connection was made
  EXPECT_TRUE(not_connected);
}

TEST(AsioCancellation, AUsersOwnCancellationSlotStillCancelsAndSoDoesTheContext) {
  net::io_context io;
  net::steady_timer t1(io, 10s), t2(io, 10s);
  boost::system::error_code r1, r2;
  asyncctx::cancel_handle handle;
  net::cancellation_signal user_signal;
  asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
    handle = h;
    t1.async_wait(asyncctx::asio::bind_context(
        net::bind_cancellation_slot(user_signal.slot(), [&](boost::system::error_code ec) { r1 = ec; })));
  });
  // The user's emission reaches the operation; the context is not cancelled by it.
  net::post(io, [&] { user_signal.emit(net::cancellation_type::terminal); });
  io.run();
  io.restart();
  EXPECT_EQ(r1, net::error::operation_aborted);
  EXPECT_FALSE(handle.cancelled());
  // And with a user's slot in place, cancelling the context still cancels the operation.
  net::cancellation_signal user_signal2;
  asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
    handle = h;
    t2.async_wait(asyncctx::asio::bind_context(
        net::bind_cancellation_slot(user_signal2.slot(), [&](boost::system::error_code ec) { r2 = ec; })));
  });
  net::post(io, [&] { handle.cancel(); });
  io.run();
  EXPECT_EQ(r2, net::error::operation_aborted);
}

asyncctx::task<void> wait_with_use_task(net::steady_timer& timer) {
  co_await timer.async_wait(asyncctx::asio::use_task);
}

TEST(AsioCancellation, UseTaskThrowsOperationAbortedAtTheDeadline) {
  net::io_context io;
  auto guard = net::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  net::steady_timer timer(io, 10s);
  asyncctx::with_timeout(50ms, [&] {
    try {
      asyncctx::sync_wait(wait_with_use_task(timer));
      ADD_FAILURE() << "no exception";
    } catch (const boost::system::system_error& e) {
      EXPECT_EQ(e.code(), net::error::operation_aborted);
    }
  });
  guard.reset();
  runner.join();
}

TEST(AsioCancellation, UseTaskInACancelledContextThrowsAtOnceWithoutStarting) {
  net::io_context io;
  net::steady_timer timer(io, 10s);
  asyncctx::with_timeout(
      -1ms, [&] { EXPECT_THROW(asyncctx::sync_wait(wait_with_use_task(timer)), boost::system::system_error); });
  EXPECT_EQ(io.poll(), 0U);  // nothing was queued
}

TEST(AsioCancellation, ACoSpawnedAwaitableIsCancelledWithItsContext) {
  net::io_context io;
  net::steady_timer timer(io, 10s);
  std::optional<boost::system::error_code> seen;
  auto body = [&]() -> net::awaitable<void> {
    try {
      co_await timer.async_wait(net::use_awaitable);
    } catch (const boost::system::system_error& e) {
      seen = e.code();
    }
  };
  asyncctx::with_cancel([&](asyncctx::cancel_handle h) {
    net::co_spawn(io, body(), asyncctx::asio::bind_context(net::detached));
    net::post(io, [h] { h.cancel(); });
  });
  io.run();
  ASSERT_TRUE(seen.has_value());
  EXPECT_EQ(*seen, net::error::operation_aborted);
}

TEST(AsioCancellation, ADeadlineCarriedThroughThreeThreadHopsATimerAndASocketReadAbortsTheRead) {
  const auto tolerance = long_mode() ? 50ms : 400ms;
  net::io_context io;
  auto guard = net::make_work_guard(io);
  std::thread io_thread([&] { io.run(); });
  socket_pair pair(io);
  asyncctx::thread_pool first(1), second(1);
  std::promise<std::pair<boost::system::error_code, clock_type::time_point>> read_done;
  clock_type::time_point deadline;
  char buf[16];
  asyncctx::with_timeout(300ms, [&] {
    deadline = *asyncctx::current_deadline();
    first.post([&] {         // hop 1: a pool thread
      second.post([&] {      // hop 2: another pool thread
        net::post(io, [&] {  // hop 3: the I/O thread (the tracking hook carries the context)
          auto timer = std::make_shared<net::steady_timer>(io, 20ms);
          timer->async_wait(asyncctx::asio::bind_context([&, timer](boost::system::error_code ec) {
            EXPECT_FALSE(ec);
            pair.client.async_read_some(net::buffer(buf),
                                        asyncctx::asio::bind_context([&](boost::system::error_code rec, std::size_t) {
                                          read_done.set_value({rec, clock_type::now()});
                                        }));
          }));
        });
      });
    });
  });
  auto [ec, at] = read_done.get_future().get();
  EXPECT_EQ(ec, net::error::operation_aborted);
  EXPECT_GE(at, deadline);
  EXPECT_LE(at, deadline + tolerance) << std::chrono::duration_cast<std::chrono::milliseconds>(at - deadline).count()
                                      << " ms late";
  // The I/O thread's own context is clean afterwards.
  std::promise<bool> clean;
  net::post(io, [&] { clean.set_value(asyncctx::detail::current_frame() == nullptr && !asyncctx::cancelled()); });
  EXPECT_TRUE(clean.get_future().get());
  guard.reset();
  io_thread.join();
}

}  // namespace
