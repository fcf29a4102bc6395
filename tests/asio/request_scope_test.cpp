// Dependency scopes in Asio handlers: resolve<T>() and async_var work in every handler started
// inside a scope (through the handler-tracking hook), on any io thread, and a value set in one
// handler is seen by the handlers that run after it.
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/service_registry.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

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

}  // namespace
