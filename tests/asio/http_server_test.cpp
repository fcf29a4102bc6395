// asyncctx::asio::http_server: every request runs in a fresh context holding its request
// context; ids are echoed; failures become 500 / 400 and never take the server down.
// Ports Node's test-async-local-storage-http-multiclients and -http-agent.
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <boost/asio/steady_timer.hpp>
#include <gtest/gtest.h>

#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "http_test_support.hpp"

namespace {

using namespace asyncctx_test;
using asyncctx::asio::current_request;
using asyncctx::asio::http_responder;
using asyncctx::asio::is_valid_request_id;

// "<id> <method> <target>" of the current request, or "none".
std::string describe_current() {
  const auto* rc = current_request();
  if (rc == nullptr) return "none";
  return rc->id + " " + rc->method + " " + rc->target;
}

http_response text(const http_request& req, std::string body) {
  http_response res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body);
  return res;
}

TEST(HttpServer, SyncHandlerSeesItsRequestAndTheIdIsEchoed) {
  running_server srv([](const http_request& req) { return text(req, describe_current()); });
  test_client client(srv.endpoint());
  const http_response res = client.request(make_get("/hello?x=1", "client-7"));
  EXPECT_EQ(res.result(), http::status::ok);
  EXPECT_EQ(res.body(), "client-7 GET /hello?x=1");
  EXPECT_EQ(res["X-Request-ID"], "client-7");
  EXPECT_EQ(current_request(), nullptr);  // the test thread never saw it
}

TEST(HttpServer, MissingOrInvalidIdsAreReplacedByGeneratedOnes) {
  running_server srv([](const http_request& req) {
    const auto* rc = current_request();
    return text(req, rc->id + (rc->id_generated ? " generated" : " incoming"));
  });
  test_client client(srv.endpoint());
  std::set<std::string> generated;
  auto expect_generated = [&](http_request req, const std::string& what) {
    const http_response res = client.request(std::move(req));
    const std::string id(res["X-Request-ID"]);
    EXPECT_TRUE(is_valid_request_id(id)) << what << ": " << id;
    EXPECT_EQ(res.body(), id + " generated") << what;
    EXPECT_TRUE(generated.insert(id).second) << what << ": id reused " << id;
  };
  expect_generated(make_get("/"), "no header");
  expect_generated(make_get("/", ""), "empty");
  expect_generated(make_get("/", "has space"), "space");
  expect_generated(make_get("/", std::string(129, 'a')), "129 characters");
  expect_generated(make_get("/", "caf\xc3\xa9"), "unicode");
  expect_generated(make_get("/", "a\"b"), "quote");
  http_request twice = make_get("/");
  twice.insert("X-Request-ID", "first");
  twice.insert("X-Request-ID", "second");
  expect_generated(std::move(twice), "two X-Request-ID headers");

  // The header name is case-insensitive; a valid id is kept verbatim.
  http_request lower = make_get("/");
  lower.set("x-request-id", std::string(128, 'z'));
  const http_response res = client.request(std::move(lower));
  EXPECT_EQ(res.body(), std::string(128, 'z') + " incoming");
}

// Node's test-async-local-storage-http-multiclients: 10 clients at once, each request with
// its own store, each handler sees its own through a timer and a thread-pool hop while all
// ten are in flight together.
TEST(HttpServer, ConcurrentClientsEachSeeTheirOwnStore) {
  constexpr int clients = 10;
  asyncctx::async_local_storage<std::string> als;
  asyncctx::thread_pool pool(clients);  // each handler parks a worker until all ten arrived
  std::mutex mutex;
  std::condition_variable all_arrived;
  int arrived = 0;

  boost::asio::io_context* server_ioc = nullptr;  // set below, before any request
  running_server srv(
      [&](http_request req, http_responder respond) {
        const std::string id = current_request()->id;
        als.run(std::string("store-") + id, [&] {
          pool.post([&, id, req = std::move(req), respond = std::move(respond)]() mutable {
            std::string seen = *als.get_store() + "|" + current_request()->id;
            {
              // All ten requests are being handled at the same time before any answers.
              std::unique_lock lock(mutex);
              ++arrived;
              all_arrived.notify_all();
              if (!all_arrived.wait_for(lock, std::chrono::seconds(20), [&] { return arrived == clients; })) {
                seen += "|timeout";
              }
            }
            // Then a timer (setTimeout in Node's test); wrap carries the context explicitly, so
            // this holds with or without the handler-tracking hook.
            auto timer = std::make_shared<boost::asio::steady_timer>(*server_ioc, std::chrono::milliseconds(10));
            timer->async_wait(
                asyncctx::snapshot::wrap([&, timer, seen, req = std::move(req),
                                          respond = std::move(respond)](boost::system::error_code) mutable {
                  seen += "|" + (als.get_store() != nullptr ? *als.get_store() : std::string("lost"));
                  respond(text(req, seen));
                }));
          });
        });
      },
      2);
  server_ioc = &srv.context();

  std::vector<std::string> bodies(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        test_client client(srv.endpoint());
        bodies[i] = client.request(make_get("/", "client-" + std::to_string(i))).body();
      } catch (const std::exception& e) {
        bodies[i] = std::string("error: ") + e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < clients; ++i) {
    const std::string id = "client-" + std::to_string(i);
    EXPECT_EQ(bodies[i], "store-" + id + "|" + id + "|store-" + id) << "client " << i;
  }
  srv.shut_down();
  pool.wait_idle();
}

// Node's test-async-local-storage-http-agent: one keep-alive connection, many requests in a
// row; each sees its own id and nothing the previous one bound — even with enter_with, which
// in Node would leak into the next request on the pooled socket.
TEST(HttpServer, KeepAliveRequestsNeverSeeThePreviousOnesContext) {
  asyncctx::async_local_storage<std::string> als;
  asyncctx::variable<int> var;
  running_server srv([&](const http_request& req) {
    std::string seen = describe_current();
    seen += als.get_store() == nullptr ? " store:none" : " store:" + *als.get_store();
    seen += var.get() == nullptr ? " var:none" : " var:" + std::to_string(*var.get());
    // Try hard to leak into whatever runs next on this connection / thread.
    als.enter_with(std::string(current_request()->id));
    return text(req, seen);
  });
  test_client client(srv.endpoint());
  std::set<std::string> ids;
  constexpr int requests = 200;
  for (int i = 0; i < requests; ++i) {
    const bool with_id = i % 3 != 0;
    const std::string target = "/r/" + std::to_string(i);
    const http_response res = client.request(
        make_get(target, with_id ? std::optional<std::string>("req-" + std::to_string(i)) : std::nullopt));
    const std::string id(res["X-Request-ID"]);
    if (with_id) {
      EXPECT_EQ(id, "req-" + std::to_string(i));
    }
    EXPECT_TRUE(is_valid_request_id(id));
    EXPECT_TRUE(ids.insert(id).second) << "id seen twice: " << id;
    ASSERT_EQ(res.body(), id + " GET " + target + " store:none var:none") << "request " << i;
    EXPECT_TRUE(res.keep_alive());
  }
}

TEST(HttpServer, HandlerThatThrowsGets500AndTheConnectionCarriesOn) {
  std::mutex mutex;
  std::vector<std::string> reported;  // "<id>: <what>", as a logger in the request's context would
  asyncctx::asio::http_server_options options;
  options.on_handler_error = [&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      std::lock_guard lock(mutex);
      reported.push_back(current_request()->id + ": " + ex.what());
    } catch (...) {
      std::lock_guard lock(mutex);
      reported.push_back(current_request()->id + ": unknown");
    }
  };
  running_server srv(
      [](const http_request& req) {
        if (req.target() == "/throw") throw std::runtime_error("boom");
        if (req.target() == "/throw-int") throw 42;
        return text(req, describe_current());
      },
      1, options);
  test_client client(srv.endpoint());
  for (int round = 0; round < 3; ++round) {
    const http_response bad = client.request(make_get("/throw", "t-" + std::to_string(round)));
    EXPECT_EQ(bad.result(), http::status::internal_server_error);
    EXPECT_EQ(bad["X-Request-ID"], "t-" + std::to_string(round));
    EXPECT_TRUE(bad.keep_alive());
    const http_response odd = client.request(make_get("/throw-int", "u"));
    EXPECT_EQ(odd.result(), http::status::internal_server_error);
    const http_response good = client.request(make_get("/fine", "f-" + std::to_string(round)));
    EXPECT_EQ(good.result(), http::status::ok);
    EXPECT_EQ(good.body(), "f-" + std::to_string(round) + " GET /fine");
  }
  // A second connection is served too.
  test_client other(srv.endpoint());
  EXPECT_EQ(other.request(make_get("/fine", "o")).body(), "o GET /fine");
  srv.shut_down();
  std::lock_guard lock(mutex);
  ASSERT_EQ(reported.size(), 6U);
  EXPECT_EQ(reported[0], "t-0: boom");
  EXPECT_EQ(reported[1], "u: unknown");
}

TEST(HttpServer, CallbackHandlerFailuresAreAnsweredOnce) {
  asyncctx::thread_pool pool(2);
  running_server srv([&](http_request req, http_responder respond) {
    const std::string target(req.target());
    if (target == "/throw") throw std::runtime_error("before answering");
    if (target == "/drop") return;  // responder destroyed unanswered: 500
    if (target == "/throw-after-handing-off") {
      pool.post([req, r = std::move(respond)]() mutable {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        EXPECT_FALSE(r(text(req, "late")));  // the 500 went first; this one is dropped
      });
      throw std::runtime_error("after handing off");
    }
    pool.post([req = std::move(req), r = std::move(respond)]() mutable {
      EXPECT_TRUE(r(text(req, describe_current())));
      EXPECT_FALSE(r(text(req, "twice")));  // one-shot
    });
  });
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/throw", "a")).result(), http::status::internal_server_error);
  EXPECT_EQ(client.request(make_get("/drop", "b")).result(), http::status::internal_server_error);
  EXPECT_EQ(client.request(make_get("/throw-after-handing-off", "c")).result(), http::status::internal_server_error);
  for (int i = 0; i < 20; ++i) {
    const http_response res = client.request(make_get("/ok", "d" + std::to_string(i)));
    EXPECT_EQ(res.result(), http::status::ok);
    EXPECT_EQ(res.body(), "d" + std::to_string(i) + " GET /ok");
  }
  pool.wait_idle();
  srv.shut_down();
}

// A coroutine handler: the request context holds across a timer (resumed on an io thread)
// and a thread-pool hop; an exception leaving the task is a 500.
asyncctx::task<http_response> coroutine_handler(http_request req, boost::asio::io_context* ioc,
                                                asyncctx::thread_pool* pool) {
  std::string seen = describe_current();
  boost::asio::steady_timer timer(*ioc, std::chrono::milliseconds(5));
  co_await timer.async_wait(asyncctx::asio::use_task);
  seen += "|" + describe_current();
  co_await asyncctx::schedule_on(pool->get_executor());
  seen += "|" + describe_current();
  if (req.target() == "/throw") throw std::runtime_error("coroutine failed");
  co_return text(req, seen);
}

TEST(HttpServer, CoroutineHandlerKeepsItsRequestAcrossAwaits) {
  asyncctx::thread_pool pool(2);
  boost::asio::io_context* ioc = nullptr;
  std::atomic<int> reported{0};
  asyncctx::asio::http_server_options options;
  options.on_handler_error = [&](std::exception_ptr) {
    if (current_request() != nullptr && current_request()->id == "boom") reported.fetch_add(1);
  };
  running_server srv(
      [&](http_request req) -> asyncctx::task<http_response> { return coroutine_handler(std::move(req), ioc, &pool); },
      2, options);
  ioc = &srv.context();

  constexpr int clients = 6;
  std::vector<std::string> bodies(clients);
  std::vector<std::thread> threads;
  for (int i = 0; i < clients; ++i) {
    threads.emplace_back([&, i] {
      try {
        test_client client(srv.endpoint());
        for (int r = 0; r < 5; ++r) {
          const std::string id = "co-" + std::to_string(i) + "-" + std::to_string(r);
          const std::string body = client.request(make_get("/t" + std::to_string(i), id)).body();
          const std::string one = id + " GET /t" + std::to_string(i);
          if (body != one + "|" + one + "|" + one) bodies[i] += body + ";";
        }
      } catch (const std::exception& e) {
        bodies[i] = std::string("error: ") + e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (int i = 0; i < clients; ++i) EXPECT_EQ(bodies[i], "") << "client " << i;

  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/throw", "boom")).result(), http::status::internal_server_error);
  EXPECT_EQ(client.request(make_get("/fine", "after")).result(), http::status::ok);
  EXPECT_EQ(reported.load(), 1);
  srv.shut_down();
  pool.wait_idle();
}

TEST(HttpServer, MalformedRequestsGet400AndAreClosed) {
  running_server srv([](const http_request& req) { return text(req, describe_current()); });
  const std::vector<std::string> malformed = {
      "GARBAGE\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
      "GET / HTTP/9.9\r\nHost: x\r\n\r\n",
      "GET /\x01 HTTP/1.1\r\nHost: x\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\rInjected: 1\r\n\r\n",
      "GET / HTTP/1.1\r\nHost: x\r\nX-Request-ID: abc\nInjected: 1\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n",
      "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nZZZ\r\n",
      std::string("GET / HTTP/1.1\r\nHost: x\0y\r\n\r\n", 30),
  };
  for (const std::string& bytes : malformed) {
    const raw_exchange ex = send_raw(srv.endpoint(), bytes);
    EXPECT_TRUE(ex.received.starts_with("HTTP/1.1 400")) << ::testing::PrintToString(bytes) << " -> " << ex.received;
    EXPECT_TRUE(ex.closed) << ::testing::PrintToString(bytes);
    EXPECT_EQ(ex.received.find("Injected"), std::string::npos);
  }
  // The size limits get their own statuses.
  const raw_exchange big_header =
      send_raw(srv.endpoint(), "GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(20000, 'a') + "\r\n\r\n");
  EXPECT_TRUE(big_header.received.starts_with("HTTP/1.1 431")) << big_header.received;
  const raw_exchange big_body =
      send_raw(srv.endpoint(), "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000\r\n\r\n");
  EXPECT_TRUE(big_body.received.starts_with("HTTP/1.1 413")) << big_body.received;
  // A client that closes mid-request gets nothing and breaks nothing.
  const raw_exchange partial = send_raw(srv.endpoint(), "GET / HTT", std::chrono::milliseconds(300));
  EXPECT_TRUE(partial.received.empty());

  // The server is fine afterwards.
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/after", "ok-1")).body(), "ok-1 GET /after");
}

TEST(HttpServer, ConnectionCloseAndHttp10AreHonoured) {
  running_server srv([](const http_request& req) { return text(req, describe_current()); });
  const raw_exchange http10 = send_raw(srv.endpoint(), "GET /old HTTP/1.0\r\nX-Request-ID: v10\r\n\r\n");
  EXPECT_TRUE(http10.received.starts_with("HTTP/1.0 200")) << http10.received;
  EXPECT_NE(http10.received.find("v10 GET /old"), std::string::npos);
  EXPECT_TRUE(http10.closed);
  const raw_exchange close =
      send_raw(srv.endpoint(), "GET /c HTTP/1.1\r\nHost: x\r\nConnection: close\r\nX-Request-ID: c1\r\n\r\n");
  EXPECT_TRUE(close.received.starts_with("HTTP/1.1 200")) << close.received;
  EXPECT_NE(close.received.find("X-Request-ID: c1"), std::string::npos);
  EXPECT_TRUE(close.closed);
  // Pipelined requests are answered in order, each in its own context.
  const raw_exchange pipelined =
      send_raw(srv.endpoint(),
               "GET /p1 HTTP/1.1\r\nHost: x\r\nX-Request-ID: p1\r\n\r\n"
               "GET /p2 HTTP/1.1\r\nHost: x\r\nX-Request-ID: p2\r\nConnection: close\r\n\r\n");
  const auto first = pipelined.received.find("p1 GET /p1");
  const auto second = pipelined.received.find("p2 GET /p2");
  EXPECT_NE(first, std::string::npos) << pipelined.received;
  EXPECT_NE(second, std::string::npos) << pipelined.received;
  EXPECT_LT(first, second);
}

// Persistence follows RFC 9112 section 9.3: HTTP/1.1 keeps the connection unless either
// side says "Connection: close"; HTTP/1.0 closes it unless the request says
// "Connection: keep-alive". A handler that builds its response the documented way
// (`http_response res{status, req.version()}`) asks for nothing: the request decides.
TEST(HttpServer, PersistenceFollowsTheRequestsVersionAndConnectionHeader) {
  running_server srv([](const http_request& req) { return text(req, describe_current()); });
  const auto quick = std::chrono::milliseconds(500);
  struct expectation {
    std::string request;
    std::string status_line;
    bool keeps;
  };
  const std::vector<expectation> cases = {
      {"GET /a HTTP/1.0\r\n\r\n", "HTTP/1.0 200", false},
      {"GET /b HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", "HTTP/1.0 200", true},
      {"GET /c HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", "HTTP/1.0 200", true},
      {"GET /d HTTP/1.1\r\nHost: x\r\n\r\n", "HTTP/1.1 200", true},
      {"GET /e HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", "HTTP/1.1 200", false},
  };
  for (const expectation& c : cases) {
    const raw_exchange ex = send_raw(srv.endpoint(), c.request, quick);
    EXPECT_TRUE(ex.received.starts_with(c.status_line)) << c.request << " -> " << ex.received;
    EXPECT_EQ(ex.closed, !c.keeps) << c.request << " -> " << ex.received;
    if (c.keeps && c.request.find("HTTP/1.0") != std::string::npos) {
      EXPECT_NE(ex.received.find("Connection: keep-alive"), std::string::npos) << ex.received;
    }
  }
}

TEST(HttpServer, PipelinedHttp10KeepAliveRequestsAreAllAnsweredOnOneConnection) {
  running_server srv([](const http_request& req) { return text(req, describe_current()); });
  const raw_exchange ex = send_raw(srv.endpoint(),
                                   "GET /k1 HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-ID: k1\r\n\r\n"
                                   "GET /k2 HTTP/1.0\r\nConnection: keep-alive\r\nX-Request-ID: k2\r\n\r\n"
                                   "GET /k3 HTTP/1.0\r\nX-Request-ID: k3\r\n\r\n");
  const auto first = ex.received.find("k1 GET /k1");
  const auto second = ex.received.find("k2 GET /k2");
  const auto third = ex.received.find("k3 GET /k3");
  ASSERT_NE(first, std::string::npos) << ex.received;
  ASSERT_NE(second, std::string::npos) << ex.received;
  ASSERT_NE(third, std::string::npos) << ex.received;
  EXPECT_LT(first, second);
  EXPECT_LT(second, third);
  EXPECT_TRUE(ex.closed) << "the last request did not ask to keep the connection";
}

TEST(HttpServer, HandlersConnectionCloseEndsAKeepAliveConnection) {
  running_server srv([](const http_request& req) {
    http_response res = text(req, describe_current());
    if (req.target() == "/bye") res.set(http::field::connection, "close");
    return res;
  });
  const raw_exchange keep =
      send_raw(srv.endpoint(), "GET /stay HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", std::chrono::milliseconds(500));
  EXPECT_FALSE(keep.closed) << keep.received;
  const raw_exchange bye10 = send_raw(srv.endpoint(), "GET /bye HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
  EXPECT_TRUE(bye10.received.starts_with("HTTP/1.0 200")) << bye10.received;
  EXPECT_TRUE(bye10.closed) << bye10.received;
  const raw_exchange bye11 = send_raw(srv.endpoint(), "GET /bye HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(bye11.received.starts_with("HTTP/1.1 200")) << bye11.received;
  EXPECT_NE(bye11.received.find("Connection: close"), std::string::npos) << bye11.received;
  EXPECT_TRUE(bye11.closed) << bye11.received;
}

TEST(HttpServer, WithoutRequestContextNothingIsBound) {
  asyncctx::asio::http_server_options options;
  options.request_context = false;
  running_server srv([](const http_request& req) { return text(req, describe_current()); }, 1, options);
  test_client client(srv.endpoint());
  const http_response res = client.request(make_get("/", "ignored"));
  EXPECT_EQ(res.body(), "none");
  EXPECT_EQ(res.count("X-Request-ID"), 0U);
}

// The context current when the server was constructed is the base of every request's.
TEST(HttpServer, RequestsBuildOnTheServersBaseContext) {
  asyncctx::variable<std::string> service;
  std::optional<running_server> srv;
  service.run("billing", [&] {
    srv.emplace(
        [&](const http_request& req) { return text(req, service.value_or("none") + " " + describe_current()); });
  });
  test_client client(srv->endpoint());
  EXPECT_EQ(client.request(make_get("/", "b1")).body(), "billing b1 GET /");
  srv.reset();
}

TEST(HttpServer, StopClosesIdleKeepAliveConnections) {
  running_server srv([](const http_request& req) { return text(req, "hi"); });
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/")).body(), "hi");
  srv.server().stop();
  EXPECT_TRUE(client.closed_by_server(std::chrono::milliseconds(3000)));
}

}  // namespace
