// async_hooks for Asio operations (through the handler-tracking hook): init / before / after /
// destroy once each per operation, in that order, with types built from Asio's object type and
// operation name, and inside a handler execution_async_id() is the operation's id and
// trigger_async_id() the id of the code that started it.
#include <asyncctx/async_hooks.hpp>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <map>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace net = boost::asio;
using namespace std::chrono_literals;

namespace {

struct op_record {
  std::string type;
  asyncctx::async_id trigger = 0;
  std::vector<std::string> events;  // "init", "before", "after", "destroy" in order
};

// Records every event of every resource; callbacks may come from several threads.
class recorder {
 public:
  recorder()
      : hook_(asyncctx::create_hook({
            .init =
                [this](asyncctx::async_id id, std::string_view type, asyncctx::async_id trigger, const void*) {
                  std::lock_guard lock(mu_);
                  auto& r = ops_[id];
                  r.type = std::string(type);
                  r.trigger = trigger;
                  r.events.push_back("init");
                },
            .before = [this](asyncctx::async_id id) { add(id, "before"); },
            .after = [this](asyncctx::async_id id) { add(id, "after"); },
            .destroy = [this](asyncctx::async_id id) { add(id, "destroy"); },
        })) {
    hook_.enable();
  }

  // Ids of the operations of `type`.
  std::vector<asyncctx::async_id> of_type(const std::string& type) {
    std::lock_guard lock(mu_);
    std::vector<asyncctx::async_id> ids;
    for (auto& [id, r] : ops_) {
      if (r.type == type) ids.push_back(id);
    }
    return ids;
  }
  op_record get(asyncctx::async_id id) {
    std::lock_guard lock(mu_);
    return ops_[id];
  }
  void disable() { hook_.disable(); }

 private:
  void add(asyncctx::async_id id, const char* what) {
    std::lock_guard lock(mu_);
    ops_[id].events.push_back(what);
  }

  std::mutex mu_;
  std::map<asyncctx::async_id, op_record> ops_;
  asyncctx::async_hook hook_;
};

const std::vector<std::string> kFullLife{"init", "before", "after", "destroy"};

TEST(AsioHooks, PostGetsAFullLifecycleAndItsIdsInsideTheHandler) {
  recorder rec;
  asyncctx::async_id inside_id = 0, inside_trigger = 0, nested_trigger = 0, nested_id = 0;
  const asyncctx::async_id top = asyncctx::execution_async_id();
  {
    net::io_context ioc;
    net::post(ioc, [&] {
      inside_id = asyncctx::execution_async_id();
      inside_trigger = asyncctx::trigger_async_id();
      net::post(ioc, [&] {
        nested_id = asyncctx::execution_async_id();
        nested_trigger = asyncctx::trigger_async_id();
      });
    });
    ioc.run();
    EXPECT_EQ(asyncctx::execution_async_id(), top) << "ids are restored after each handler";
  }
  rec.disable();
  auto ids = rec.of_type("io_context.execute");  // net::post(io_context) goes through its executor
  ASSERT_EQ(ids.size(), 2U);
  ASSERT_NE(inside_id, 0U);
  EXPECT_TRUE(std::find(ids.begin(), ids.end(), inside_id) != ids.end());
  EXPECT_EQ(inside_trigger, top);
  EXPECT_EQ(nested_trigger, inside_id) << "an operation started in a handler is triggered by it";
  EXPECT_EQ(rec.get(inside_id).events, kFullLife);
  EXPECT_EQ(rec.get(nested_id).events, kFullLife);
  EXPECT_EQ(rec.get(nested_id).trigger, inside_id);
}

TEST(AsioHooks, TypesOfTimersSocketsResolverSignalsAndPools) {
  recorder rec;
  std::map<std::string, asyncctx::async_id> inside;  // type -> execution id seen inside
  {
    net::io_context ioc;
    net::steady_timer steady(ioc, 1ms);
    net::system_timer system(ioc, 1ms);
    steady.async_wait([&](auto) { inside["steady_timer.async_wait"] = asyncctx::execution_async_id(); });
    system.async_wait([&](auto) { inside["system_timer.async_wait"] = asyncctx::execution_async_id(); });
#if !defined(BOOST_ASIO_NO_DEPRECATED)
    ioc.post([&] { inside["io_context.post"] = asyncctx::execution_async_id(); });
#endif

    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    net::ip::tcp::socket server(ioc), client(ioc);
    char byte = 'x', got = 0;
    acceptor.async_accept(server, [&](boost::system::error_code ec) {
      ASSERT_FALSE(ec);
      inside["socket.async_accept"] = asyncctx::execution_async_id();
      server.async_read_some(net::buffer(&got, 1), [&](boost::system::error_code, std::size_t) {
        inside["socket.async_receive"] = asyncctx::execution_async_id();
      });
    });
    client.async_connect(acceptor.local_endpoint(), [&](boost::system::error_code ec) {
      ASSERT_FALSE(ec);
      inside["socket.async_connect"] = asyncctx::execution_async_id();
      client.async_write_some(net::buffer(&byte, 1), [&](boost::system::error_code, std::size_t) {
        inside["socket.async_send"] = asyncctx::execution_async_id();
      });
    });

    net::ip::tcp::resolver resolver(ioc);
    resolver.async_resolve("127.0.0.1", "80", [&](boost::system::error_code, auto) {
      inside["resolver.async_resolve"] = asyncctx::execution_async_id();
    });

    net::signal_set signals(ioc, SIGUSR2);
    signals.async_wait(
        [&](boost::system::error_code, int) { inside["signal_set.async_wait"] = asyncctx::execution_async_id(); });
    std::raise(SIGUSR2);

    auto strand = net::make_strand(ioc);
    net::post(strand, [&] { inside["strand_executor.execute"] = asyncctx::execution_async_id(); });
    ioc.run();

    net::thread_pool pool(1);
    net::post(pool, [&] { inside["thread_pool.execute"] = asyncctx::execution_async_id(); });
    pool.join();
  }
  rec.disable();
  for (auto& [type, id] : inside) {
    SCOPED_TRACE(type);
    auto ids = rec.of_type(type);
    ASSERT_FALSE(ids.empty()) << "no operation of type " << type;
    EXPECT_TRUE(std::find(ids.begin(), ids.end(), id) != ids.end()) << "the handler ran under its operation's id";
    EXPECT_EQ(rec.get(id).events, kFullLife);
  }
  EXPECT_GE(inside.size(), 11U);
}

TEST(AsioHooks, CancelledAndNeverRunOperationsAreDestroyed) {
  recorder rec;
  {
    net::io_context ioc;
    net::steady_timer t(ioc, 1h);
    t.async_wait([](auto) {});
    net::post(ioc, [] {});
  }  // destroyed without running: init then destroy, no before / after
  rec.disable();
  auto timers = rec.of_type("steady_timer.async_wait");
  ASSERT_EQ(timers.size(), 1U);
  EXPECT_EQ(rec.get(timers[0]).events, (std::vector<std::string>{"init", "destroy"}));
  auto posts = rec.of_type("io_context.execute");
  ASSERT_EQ(posts.size(), 1U);
  EXPECT_EQ(rec.get(posts[0]).events, (std::vector<std::string>{"init", "destroy"}));
}

TEST(AsioHooks, ThrowingHandlerEndsItsLifecycleAndPutsTheThreadsIdsBack) {
  recorder rec;
  const asyncctx::async_id top = asyncctx::execution_async_id();
  const asyncctx::async_id top_trigger = asyncctx::trigger_async_id();
  asyncctx::async_id thrower = 0;
  {
    net::io_context ioc;
    net::post(ioc, [&] {
      thrower = asyncctx::execution_async_id();
      throw std::runtime_error("handler failed");
    });
    EXPECT_THROW(ioc.run(), std::runtime_error);
    EXPECT_EQ(asyncctx::execution_async_id(), top) << "the exception left the handler's id on the thread";
    EXPECT_EQ(asyncctx::trigger_async_id(), top_trigger);
    ioc.restart();
    asyncctx::async_id next = 0;
    net::post(ioc, [&] { next = asyncctx::execution_async_id(); });
    ioc.run();
    EXPECT_NE(next, thrower);
  }
  rec.disable();
  ASSERT_NE(thrower, top);
  EXPECT_EQ(rec.get(thrower).events, kFullLife) << "a handler that throws still gets after and destroy";
}

TEST(AsioHooks, NothingIsRecordedWhileNoHookIsEnabled) {
  asyncctx::async_id inside = 0;
  const asyncctx::async_id top = asyncctx::execution_async_id();
  {
    net::io_context ioc;
    net::post(ioc, [&] { inside = asyncctx::execution_async_id(); });
    ioc.run();
  }
  EXPECT_EQ(inside, top) << "no hook, no id bookkeeping: the handler runs under the thread's id";
}

}  // namespace
