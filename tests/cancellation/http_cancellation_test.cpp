// http_cancellation_layer and the server's disconnect watch: a request's context has a
// deadline, a client that disconnects mid-request cancels the handler's pending timer and
// pool job, and a request past its deadline gets 503. Real connections on 127.0.0.1.
//
// Timing: the cancellation must reach the timer and the pool job within 50 ms of the
// disconnect with ASYNCCTX_STRESS=long (an idle machine); otherwise within 400 ms.
#include <asyncctx/asio/bind_context.hpp>
#include <asyncctx/asio/http_cancellation_layer.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/thread_pool.hpp>

#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "../asio/http_test_support.hpp"

namespace {

using namespace std::chrono_literals;
using namespace asyncctx_test;
using clock_type = std::chrono::steady_clock;
using asyncctx::asio::http_cancellation_layer;
using asyncctx::asio::http_responder;

bool long_mode() {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  return mode != nullptr && std::strcmp(mode, "long") == 0;
}

asyncctx::asio::http_server_options with_layer(clock_type::duration deadline) {
  asyncctx::asio::http_server_options options;
  options.layers.push_back(
      std::make_shared<http_cancellation_layer>(http_cancellation_layer::options{.deadline = deadline}));
  return options;
}

TEST(HttpCancellation, EveryRequestRunsInACancellableContextWithTheDeadlineOfTheOptions) {
  running_server server(
      [](const http_request&) {
        http_response res{http::status::ok, 11};
        const auto d = asyncctx::current_deadline();
        const auto left = d ? std::chrono::duration_cast<std::chrono::milliseconds>(*d - clock_type::now()) : -1ms;
        res.body() = (left > 4s && left <= 5s && !asyncctx::cancelled()) ? "ok" : "bad";
        return res;
      },
      1, with_layer(5s));
  test_client client(server.endpoint());
  EXPECT_EQ(client.request(make_get("/")).body(), "ok");
}

TEST(HttpCancellation, AClientThatDisconnectsCancelsTheHandlersPendingTimerAndPoolJob) {
  const auto tolerance = long_mode() ? 50ms : 400ms;
  asyncctx::thread_pool pool(1);
  std::promise<std::pair<boost::system::error_code, clock_type::time_point>> timer_done;
  std::promise<std::pair<std::error_code, clock_type::time_point>> job_done;
  std::promise<void> started;
  std::promise<void> job_running;
  std::mutex keep_mutex;
  std::shared_ptr<boost::asio::steady_timer> timer;
  http_responder kept;
  boost::asio::io_context* io = nullptr;  // set before any client connects
  running_server server(
      [&](http_request, http_responder respond) {
        timer = std::make_shared<boost::asio::steady_timer>(*io, 10s);
        timer->async_wait(asyncctx::asio::bind_context([&](boost::system::error_code ec) {
          timer_done.set_value({ec, clock_type::now()});
        }));
        pool.post([&] {
          job_running.set_value();
          while (!asyncctx::cancelled()) std::this_thread::sleep_for(1ms);
          job_done.set_value({asyncctx::cause(), clock_type::now()});
        });
        // The client goes only once the job runs: a job whose context is cancelled before it
        // starts is skipped (thread_pool's rule), and would never report.
        job_running.get_future().wait();
        std::lock_guard lock(keep_mutex);
        kept = std::move(respond);  // never answers on its own
        started.set_value();
      },
      1, with_layer(1h));
  io = &server.context();
  clock_type::time_point gone;
  {
    boost::asio::io_context ioc;
    tcp::socket socket(ioc);
    socket.connect(server.endpoint());
    const std::string request = "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    boost::asio::write(socket, boost::asio::buffer(request));
    started.get_future().wait();
    gone = clock_type::now();
    socket.close();
  }
  auto [timer_ec, timer_at] = timer_done.get_future().get();
  auto [job_cause, job_at] = job_done.get_future().get();
  EXPECT_EQ(timer_ec, boost::asio::error::operation_aborted);
  EXPECT_EQ(job_cause, asyncctx::cancel_errc::client_gone);
  EXPECT_LE(timer_at - gone, tolerance);
  EXPECT_LE(job_at - gone, tolerance);
  {
    std::lock_guard lock(keep_mutex);
    EXPECT_FALSE(kept(http_response{http::status::ok, 11}));  // nobody to answer any more
  }
  pool.wait_idle();
  timer.reset();
  server.shut_down();
}

asyncctx::task<http_response> waits_too_long(boost::asio::io_context& io) {
  boost::asio::steady_timer timer(io, 10s);
  co_await timer.async_wait(asyncctx::asio::use_task);  // aborted at the deadline: throws
  co_return http_response{http::status::ok, 11};
}

TEST(HttpCancellation, ARequestPastItsDeadlineGets503) {
  boost::asio::io_context* io = nullptr;
  running_server server([&](http_request) { return waits_too_long(*io); }, 1, with_layer(100ms));
  io = &server.context();
  test_client client(server.endpoint());
  const auto start = clock_type::now();
  http_response res = client.request(make_get("/slow"));
  EXPECT_EQ(res.result(), http::status::service_unavailable);
  EXPECT_EQ(res.body(), "deadline exceeded\n");
  EXPECT_LT(clock_type::now() - start, 5s);
  // The connection goes on: the next request is served (and is past its deadline too).
  EXPECT_EQ(client.request(make_get("/again")).result(), http::status::service_unavailable);
}

TEST(HttpCancellation, APipelinedRequestReadWhileTheFirstIsPendingIsStillServed) {
  std::mutex mutex;
  std::vector<std::thread> answering;
  running_server server(
      [&](http_request req, http_responder respond) {
        std::lock_guard lock(mutex);
        answering.emplace_back([req = std::move(req), r = std::move(respond)]() mutable {
          std::this_thread::sleep_for(20ms);
          http_response res{http::status::ok, 11};
          res.body() = std::string(req.target());
          r(std::move(res));
        });
      },
      1, with_layer(1h));
  const std::string two =
      "GET /one HTTP/1.1\r\nHost: x\r\n\r\nGET /two HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  raw_exchange out = send_raw(server.endpoint(), two);
  EXPECT_TRUE(out.closed);
  EXPECT_NE(out.received.find("/one"), std::string::npos) << out.received;
  EXPECT_NE(out.received.find("/two"), std::string::npos) << out.received;
  std::lock_guard lock(mutex);
  for (auto& t : answering) t.join();
}

}  // namespace
