// asyncctx::asio::use_task: an asyncctx::task co_awaits Asio operations directly and keeps its
// own context across them, whichever thread completes them; errors are thrown; the operation
// is attributed (context and async ids) to the task that started it.
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "asio_test_support.hpp"

namespace net = boost::asio;
using asyncctx::asio::use_task;
using namespace std::chrono_literals;

namespace {

using asio_test::current;
using asio_test::g_var;

// An io_context run by `n` threads (each in its own context) for the test's duration.
class loop {
 public:
  explicit loop(int n = 1) : work_(net::make_work_guard(ioc_)) {
    for (int k = 0; k < n; ++k) {
      threads_.emplace_back([this, k] { g_var.run(1000 + k, [this] { ioc_.run(); }); });
    }
  }
  ~loop() {
    work_.reset();
    for (auto& t : threads_) t.join();
  }
  net::io_context& ioc() { return ioc_; }

 private:
  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::vector<std::thread> threads_;
};

asyncctx::task<int> timers_and_posts(net::io_context& ioc) {
  int mismatches = 0;
  if (current() != 1) ++mismatches;
  auto bound = g_var.set(2);  // persists across this task's awaits
  net::steady_timer timer(ioc, 1ms);
  co_await timer.async_wait(use_task);
  if (current() != 2) ++mismatches;
  co_await net::post(ioc, use_task);
  if (current() != 2) ++mismatches;
  timer.expires_after(1ms);
  co_await timer.async_wait(use_task);
  if (current() != 2) ++mismatches;
  co_return mismatches;
}

TEST(AsioUseTask, TaskKeepsItsContextAcrossAsioOperations) {
  loop l;
  int mismatches = g_var.run(1, [&] { return asyncctx::sync_wait(timers_and_posts(l.ioc())); });
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(current(), -1);
}

asyncctx::task<std::string> echo_over_tcp(net::io_context& ioc) {
  net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
  net::ip::tcp::socket server(ioc), client(ioc);
  net::ip::tcp::resolver resolver(ioc);
  auto results =
      co_await resolver.async_resolve("127.0.0.1", std::to_string(acceptor.local_endpoint().port()), use_task);
  co_await client.async_connect(*results.begin(), use_task);
  co_await acceptor.async_accept(server, use_task);
  std::string out = "ping";
  std::size_t written = co_await net::async_write(client, net::buffer(out), use_task);
  std::string in(written, '\0');
  std::size_t n = co_await net::async_read(server, net::buffer(in), use_task);
  in.resize(n);
  co_return in + ":" + std::to_string(current());
}

TEST(AsioUseTask, ValuesAreReturnedAcrossSocketsAndResolver) {
  loop l(2);
  std::string got = g_var.run(7, [&] { return asyncctx::sync_wait(echo_over_tcp(l.ioc())); });
  EXPECT_EQ(got, "ping:7");
}

asyncctx::task<void> wait_cancelled(net::io_context& ioc) {
  co_await net::post(ioc, use_task);  // onto the loop's thread: a timer is not thread-safe
  net::steady_timer timer(ioc, 1h);
  net::post(ioc, [&] { timer.cancel(); });
  co_await timer.async_wait(use_task);
}

TEST(AsioUseTask, ErrorsAreThrown) {
  loop l;
  try {
    asyncctx::sync_wait(wait_cancelled(l.ioc()));
    FAIL() << "expected an exception";
  } catch (const boost::system::system_error& e) {
    EXPECT_EQ(e.code(), net::error::operation_aborted);
  }
}

asyncctx::task<int> many_hops(net::io_context& ioc, int id) {
  int mismatches = 0;
  for (int i = 0; i < 20; ++i) {
    co_await net::post(ioc, use_task);
    if (current() != id) ++mismatches;
  }
  co_return mismatches;
}

asyncctx::task<int> fan_out(net::io_context& ioc) {
  std::vector<asyncctx::task<int>> tasks;
  for (int id = 0; id < 50; ++id) tasks.push_back(g_var.run(id, [&] { return many_hops(ioc, id); }));
  int mismatches = 0;
  for (auto& t : tasks) mismatches += co_await std::move(t);
  co_return mismatches;
}

TEST(AsioUseTask, ManyTasksOnFourThreadsNeverMix) {
  loop l(4);
  EXPECT_EQ(asyncctx::sync_wait(fan_out(l.ioc())), 0);
}

TEST(AsioUseTask, TheOperationIsTriggeredByTheTask) {
  std::atomic<asyncctx::async_id> op_trigger{0};
  asyncctx::async_id task_id = 0;
  auto hook = asyncctx::create_hook(
      {.init = [&](asyncctx::async_id, std::string_view type, asyncctx::async_id trigger, const void*) {
        if (type == "steady_timer.async_wait") op_trigger = trigger;
      }});
  hook.enable();
  {
    loop l;
    asyncctx::sync_wait([&]() -> asyncctx::task<void> {
      task_id = asyncctx::execution_async_id();
      net::steady_timer timer(l.ioc(), 1ms);
      co_await timer.async_wait(use_task);
    }());
  }
  hook.disable();
  EXPECT_NE(task_id, 0U);
  EXPECT_EQ(op_trigger.load(), task_id);
}

}  // namespace
