// Dependency scopes in Asio handlers: resolve<T>() and async_var work in every handler started
// inside a scope (through the handler-tracking hook), on any io thread, and a value set in one
// handler is seen by the handlers that run after it. And the HTTP server's per-request scope
// (asio::request_scope_layer), over real HTTP on 127.0.0.1.
#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/request_scope_layer.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_test_support.hpp"

namespace {

using asyncctx::async_scope;
using asyncctx::async_var;

struct session {
  int id;
};

TEST(RequestScopeAsio, ResolveWorksInTheHandlersOfTheScope) {
  std::atomic<int> built{0};
  asyncctx::service_registry services;
  services.add_scoped<session>([&] { return session{++built}; });
  boost::asio::io_context ioc;
  boost::asio::steady_timer timer(ioc);
  session* in_scope = nullptr;
  session* in_post = nullptr;
  session* in_timer = nullptr;
  async_scope::run(services, [&] {
    in_scope = &asyncctx::resolve<session>();
    boost::asio::post(ioc, [&] { in_post = &asyncctx::resolve<session>(); });
    timer.expires_after(std::chrono::milliseconds(1));
    timer.async_wait([&](boost::system::error_code) { in_timer = &asyncctx::resolve<session>(); });
  });
  std::thread io([&] { ioc.run(); });  // another thread than the one that opened the scope
  io.join();
  EXPECT_EQ(in_post, in_scope);
  EXPECT_EQ(in_timer, in_scope);
  EXPECT_EQ(built, 1);
}

TEST(RequestScopeAsio, AValueSetInAHandlerIsSeenByTheHandlersAfterItOnAnyThread) {
  async_var<std::string> user("User");
  boost::asio::io_context ioc;
  auto strand = boost::asio::make_strand(ioc);
  std::string seen;
  async_scope::run([&] {
    boost::asio::post(strand, [&] {
      user.set("ada");  // in a handler
      boost::asio::post(ioc, [&] { seen = user.get(); });
    });
  });
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) threads.emplace_back([&] { ioc.run(); });
  for (auto& t : threads) t.join();
  EXPECT_EQ(seen, "ada");
}

// --- the HTTP server's per-request scope ---------------------------------------------------

using namespace asyncctx_test;
using asyncctx::asio::http_layer;
using asyncctx::asio::http_request_outcome;
using asyncctx::asio::http_server_options;
using asyncctx::asio::request_scope_layer;

// What happened, in order, across threads.
class journal {
 public:
  void add(std::string entry) {
    std::lock_guard lock(mutex_);
    entries_.push_back(std::move(entry));
  }
  std::vector<std::string> entries() const {
    std::lock_guard lock(mutex_);
    return entries_;
  }
  // Waits (bounded) until `n` entries were written.
  bool wait_for(std::size_t n) const {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (std::chrono::steady_clock::now() < deadline) {
      if (entries().size() >= n) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<std::string> entries_;
};

// A scoped service numbered in creation order, whose disposal is journaled.
struct request_db {
  request_db(journal* j, int n) : log(j), number(n) {}
  request_db(request_db&& o) noexcept : log(std::exchange(o.log, nullptr)), number(o.number) {}
  ~request_db() {
    if (log != nullptr) log->add("db " + std::to_string(number) + " disposed");
  }
  journal* log;
  int number;
};

// Journals on_end, to order it against the disposal.
class end_journal final : public http_layer {
 public:
  explicit end_journal(journal& j) : log_(&j) {}
  void on_end(http_request_outcome) override { log_->add("on_end"); }

 private:
  journal* log_;
};

http_response text(const http_request& req, std::string body) {
  http_response res{http::status::ok, req.version()};
  res.body() = std::move(body);
  return res;
}

TEST(RequestScopeLayer, EveryRequestGetsItsOwnScopeDisposedAfterItsResponse) {
  journal log;
  std::atomic<int> built{0};
  asyncctx::service_registry services;
  services.add_scoped<request_db>([&] { return request_db(&log, ++built); });
  http_server_options options;
  options.layers.push_back(std::make_shared<request_scope_layer>(services));
  options.layers.push_back(std::make_shared<end_journal>(log));
  running_server srv(
      [](const http_request& req) {
        request_db& db = asyncctx::resolve<request_db>();
        return text(req, std::to_string(db.number) + (&asyncctx::resolve<request_db>() == &db ? " same" : " other"));
      },
      2, std::move(options));
  test_client client(srv.endpoint());  // one keep-alive connection: the scope is per request
  EXPECT_EQ(client.request(make_get("/a")).body(), "1 same");
  ASSERT_TRUE(log.wait_for(2));
  EXPECT_EQ(client.request(make_get("/b")).body(), "2 same");
  ASSERT_TRUE(log.wait_for(4));
  EXPECT_EQ(log.entries(), (std::vector<std::string>{"on_end", "db 1 disposed", "on_end", "db 2 disposed"}));
}

asyncctx::task<http_response> coroutine_handler(http_request req, boost::asio::io_context* ioc,
                                                asyncctx::thread_pool* pool,
                                                const asyncctx::async_var<std::string>* user) {
  request_db* first = &asyncctx::resolve<request_db>();
  user->set("ada");  // in the handler: seen by what runs later in the request
  boost::asio::steady_timer timer(*ioc);
  timer.expires_after(std::chrono::milliseconds(1));
  co_await timer.async_wait(asyncctx::asio::use_task);
  co_await asyncctx::schedule_on(pool->get_executor());  // now on a pool thread
  const bool same = &asyncctx::resolve<request_db>() == first;
  co_return text(req, (same ? "same " : "other ") + user->get());
}

TEST(RequestScopeLayer, ACoroutineHandlerKeepsItsScopeAcrossAwaitsAndThreads) {
  journal log;
  std::atomic<int> built{0};
  asyncctx::service_registry services;
  services.add_scoped<request_db>([&] { return request_db(&log, ++built); });
  const asyncctx::async_var<std::string> user("User");
  asyncctx::thread_pool pool(2);
  http_server_options options;
  options.layers.push_back(std::make_shared<request_scope_layer>(services));
  boost::asio::io_context* ioc = nullptr;
  running_server srv(
      [&](http_request req) -> asyncctx::task<http_response> {
        return coroutine_handler(std::move(req), ioc, &pool, &user);
      },
      2, std::move(options));
  ioc = &srv.context();
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/")).body(), "same ada");
  EXPECT_EQ(client.request(make_get("/")).body(), "same ada");
  ASSERT_TRUE(log.wait_for(2));
  EXPECT_EQ(built, 2);
}

TEST(RequestScopeLayer, WithoutServicesItGivesEachRequestItsOwnAsyncVars) {
  const asyncctx::async_var<std::string> seen("Seen");
  http_server_options options;
  options.layers.push_back(std::make_shared<request_scope_layer>());
  running_server srv(
      [&](const http_request& req) {
        const bool fresh = !seen.exists();  // nothing of the previous request
        seen.set(std::string(req.target()));
        return text(req, fresh ? "fresh " + seen.get() : "stale");
      },
      1, std::move(options));
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/one")).body(), "fresh /one");
  EXPECT_EQ(client.request(make_get("/two")).body(), "fresh /two");
}

TEST(RequestScopeLayer, TheRegistryIsValidatedWhenTheLayerIsMade) {
  struct scoped_thing {};
  struct singleton_thing {};
  asyncctx::service_registry services;
  services.add_scoped<scoped_thing>([] { return scoped_thing{}; });
  services.add_singleton<singleton_thing>([](scoped_thing&) { return singleton_thing{}; });
  EXPECT_THROW(request_scope_layer{services}, asyncctx::captive_dependency);
}

TEST(RequestScopeLayer, WithoutTheLayerAHandlerHasNoScope) {
  running_server srv(
      [](const http_request& req) { return text(req, asyncctx::async_scope::active() ? "scope" : "none"); });
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/")).body(), "none");
}

}  // namespace
