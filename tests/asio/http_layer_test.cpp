// asyncctx::asio::http_layer: what the server's layers bind around a request is seen by its
// handler and by everything the handler starts; on_response and on_end run in the handler's
// context, innermost first; on_end runs exactly once, also when the connection is lost first.
#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "http_test_support.hpp"

namespace {

using namespace asyncctx_test;
using asyncctx::asio::http_layer;
using asyncctx::asio::http_request_outcome;
using asyncctx::asio::http_responder;
using asyncctx::asio::http_server_options;

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
  bool wait_for(std::size_t n, std::chrono::milliseconds within = std::chrono::milliseconds(5000)) const {
    const auto deadline = std::chrono::steady_clock::now() + within;
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

const char* to_string(http_request_outcome outcome) {
  return outcome == http_request_outcome::responded ? "responded" : "connection_lost";
}

// Binds `name` = `value` in `var` around the request; records each call with what `var` holds.
class binding_layer : public http_layer {
 public:
  binding_layer(std::string name, const asyncctx::variable<std::string>& var, journal& log)
      : name_(std::move(name)), var_(var), log_(log) {}

  void around_request(const http_request& req, const std::function<void()>& next) override {
    log_.add(name_ + ".around " + std::string(req.target()) + " sees " + var_.value_or("-"));
    var_.run(name_ + ":" + std::string(req.target()), next);
  }
  void on_response(http_response& res) override {
    log_.add(name_ + ".on_response sees " + var_.value_or("-"));
    res.set("X-" + name_, var_.value_or("-"));
  }
  void on_end(http_request_outcome outcome) override {
    log_.add(name_ + ".on_end " + to_string(outcome) + " sees " + var_.value_or("-"));
  }

 private:
  std::string name_;
  const asyncctx::variable<std::string>& var_;
  journal& log_;
};

http_server_options with_layers(std::vector<std::shared_ptr<http_layer>> layers) {
  http_server_options options;
  options.layers = std::move(layers);
  return options;
}

TEST(HttpLayer, LayersWrapTheHandlerOutermostFirstAndEndInnermostFirst) {
  asyncctx::variable<std::string> outer_var;
  asyncctx::variable<std::string> inner_var;
  journal log;
  running_server srv(
      [&](const http_request& req) {
        log.add("handler sees " + outer_var.value_or("-") + " " + inner_var.value_or("-"));
        return http_response{http::status::ok, req.version()};
      },
      1,
      with_layers({std::make_shared<binding_layer>("outer", outer_var, log),
                   std::make_shared<binding_layer>("inner", inner_var, log)}));
  test_client client(srv.endpoint());
  const http_response res = client.request(make_get("/a"));
  ASSERT_TRUE(log.wait_for(7));
  EXPECT_EQ(res[("X-outer")], "outer:/a");
  EXPECT_EQ(res[("X-inner")], "inner:/a");
  const std::vector<std::string> expected = {
      "outer.around /a sees -",
      "inner.around /a sees -",
      "handler sees outer:/a inner:/a",
      "inner.on_response sees inner:/a",
      "outer.on_response sees outer:/a",
      "inner.on_end responded sees inner:/a",
      "outer.on_end responded sees outer:/a",
  };
  EXPECT_EQ(log.entries(), expected);
  srv.shut_down();
}

TEST(HttpLayer, WhatALayerBindsFollowsTheHandlersWorkToOtherThreads) {
  asyncctx::variable<std::string> var;
  journal log;
  asyncctx::thread_pool pool(2);
  running_server srv(
      [&](http_request req, http_responder respond) {
        pool.post([&, req = std::move(req), r = std::move(respond)]() mutable {
          log.add("pool sees " + var.value_or("-"));
          r(http_response{http::status::ok, req.version()});
        });
      },
      2, with_layers({std::make_shared<binding_layer>("layer", var, log)}));
  test_client client(srv.endpoint());
  for (const char* target : {"/one", "/two"}) {
    const http_response res = client.request(make_get(target));
    EXPECT_EQ(res["X-layer"], std::string("layer:") + target);
  }
  ASSERT_TRUE(log.wait_for(8));
  const std::vector<std::string> expected = {
      "layer.around /one sees -",          "pool sees layer:/one",
      "layer.on_response sees layer:/one", "layer.on_end responded sees layer:/one",
      "layer.around /two sees -",          "pool sees layer:/two",
      "layer.on_response sees layer:/two", "layer.on_end responded sees layer:/two",
  };
  EXPECT_EQ(log.entries(), expected);
  pool.wait_idle();
  srv.shut_down();
}

class throwing_layer : public http_layer {
 public:
  explicit throwing_layer(bool before_next) : before_next_(before_next) {}
  void around_request(const http_request& /*req*/, const std::function<void()>& next) override {
    if (before_next_) throw std::runtime_error("refused by the layer");
    next();
    throw std::runtime_error("thrown after the handler");
  }
  void on_end(http_request_outcome /*outcome*/) override { ++ends; }
  std::atomic<int> ends{0};

 private:
  bool before_next_;
};

TEST(HttpLayer, ALayerThatThrowsBeforeNextGets500WithoutRunningTheHandler) {
  std::atomic<int> handled{0};
  std::atomic<int> reported{0};
  auto outer = std::make_shared<throwing_layer>(false);
  auto inner = std::make_shared<throwing_layer>(true);
  http_server_options options = with_layers({outer, inner});
  options.on_handler_error = [&](const std::exception_ptr&) { ++reported; };
  running_server srv(
      [&](const http_request& req) {
        ++handled;
        return http_response{http::status::ok, req.version()};
      },
      1, std::move(options));
  test_client client(srv.endpoint());
  EXPECT_EQ(client.request(make_get("/x")).result(), http::status::internal_server_error);
  // The connection carries on, and each request gets exactly one answer.
  EXPECT_EQ(client.request(make_get("/y")).result(), http::status::internal_server_error);
  EXPECT_EQ(handled.load(), 0);
  // Inner before next, outer after it, twice. The outer layer's throw may come after the
  // client has its answer (the write can complete while the layers unwind).
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  while (reported.load() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_EQ(reported.load(), 4);
  EXPECT_EQ(outer->ends.load() + inner->ends.load(), 0);  // no handler reached: no on_end
  srv.shut_down();
}

TEST(HttpLayer, ConnectionLostBeforeTheAnswerEndsTheRequestExactlyOnce) {
  asyncctx::variable<std::string> var;
  journal log;
  std::mutex mutex;
  std::optional<http_responder> held;
  running_server srv(
      [&](http_request /*req*/, http_responder respond) {
        std::lock_guard lock(mutex);
        held.emplace(std::move(respond));
        log.add("handler");
      },
      1, with_layers({std::make_shared<binding_layer>("layer", var, log)}));
  std::thread client([&] {
    try {
      test_client c(srv.endpoint(), std::chrono::seconds(3));
      c.request(make_get("/slow"));
    } catch (...) {
      // The server closes the connection unanswered: expected.
    }
  });
  ASSERT_TRUE(log.wait_for(2));
  srv.server().stop();
  ASSERT_TRUE(log.wait_for(3));
  {
    std::lock_guard lock(mutex);
    EXPECT_FALSE((*held)(http_response{http::status::ok, 11}));  // too late: dropped
    held.reset();
  }
  client.join();
  srv.shut_down();
  const std::vector<std::string> expected = {
      "layer.around /slow sees -",
      "handler",
      "layer.on_end connection_lost sees layer:/slow",
  };
  EXPECT_EQ(log.entries(), expected);
}

}  // namespace
