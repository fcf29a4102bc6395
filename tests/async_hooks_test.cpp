// async_hooks: delivery of init / before / after / destroy / promise_resolve, async ids,
// hook lifetime, and the rules for faulty hook callbacks (async_hooks.hpp).
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <exception>
#include <future>
#include <memory>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/exception_text.hpp"

namespace {

using namespace std::chrono_literals;

// Records every event of one hook as a line ("init 5 T 1", "before 5", ...).
struct event_log {
  std::vector<std::string> events;
  asyncctx::hook_callbacks callbacks() {
    return {
        .init =
            [this](asyncctx::async_id id, std::string_view type, asyncctx::async_id trigger, const void*) {
              events.push_back("init " + std::to_string(id) + " " + std::string(type) + " " + std::to_string(trigger));
            },
        .before = [this](asyncctx::async_id id) { events.push_back("before " + std::to_string(id)); },
        .after = [this](asyncctx::async_id id) { events.push_back("after " + std::to_string(id)); },
        .destroy = [this](asyncctx::async_id id) { events.push_back("destroy " + std::to_string(id)); },
        .promise_resolve = [this](asyncctx::async_id id) { events.push_back("resolve " + std::to_string(id)); },
    };
  }
};

// Installs a hook error handler for the test and puts the previous one back.
class error_capture {
 public:
  error_capture()
      : previous_(asyncctx::set_error_handler([this](const asyncctx::error_report& r) {
          EXPECT_EQ(r.kind, asyncctx::error_kind::hook_callback);
          errors.push_back(r.exception);
        })) {}
  ~error_capture() { asyncctx::set_error_handler(previous_); }
  std::vector<std::exception_ptr> errors;

 private:
  asyncctx::error_handler previous_;
};

using asyncctx_test::what;

std::string id(asyncctx::async_id i) { return std::to_string(i); }

TEST(AsyncHooks, ExecutionAsyncIdIsOneAtTopLevel) { EXPECT_EQ(asyncctx::execution_async_id(), 1U); }

TEST(AsyncHooks, TriggerAsyncIdIsZeroAtTopLevel) { EXPECT_EQ(asyncctx::trigger_async_id(), 0U); }

TEST(AsyncHooks, TopLevelIdsHoldOnEveryThread) {
  asyncctx::async_id exec = 0;
  asyncctx::async_id trigger = 99;
  std::thread([&] {
    exec = asyncctx::execution_async_id();
    trigger = asyncctx::trigger_async_id();
  }).join();
  EXPECT_EQ(exec, 1U);
  EXPECT_EQ(trigger, 0U);
}

TEST(AsyncHooks, InitIsDeliveredWithIdTypeTriggerAndResource) {
  const void* seen_resource = nullptr;
  event_log log;
  auto cb = log.callbacks();
  auto init = cb.init;
  cb.init = [&, init](asyncctx::async_id i, std::string_view t, asyncctx::async_id tr, const void* r) {
    seen_resource = r;
    init(i, t, tr, r);
  };
  auto hook = asyncctx::create_hook(cb);
  hook.enable();
  asyncctx::async_resource r("QUERY");
  ASSERT_EQ(log.events.size(), 1U);
  EXPECT_EQ(log.events[0], "init " + id(r.async_id()) + " QUERY 1");
  EXPECT_EQ(seen_resource, &r);
}

TEST(AsyncHooks, BeforeAndAfterSurroundRunInAsyncScope) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable();
  asyncctx::async_resource r("T");
  log.events.clear();
  r.run_in_async_scope([&] { log.events.push_back("callback"); });
  EXPECT_EQ(log.events,
            (std::vector<std::string>{"before " + id(r.async_id()), "callback", "after " + id(r.async_id())}));
}

TEST(AsyncHooks, AfterIsDeliveredWhenTheCallbackThrows) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable();
  asyncctx::async_resource r("T");
  log.events.clear();
  EXPECT_THROW(r.run_in_async_scope([] { throw std::runtime_error("x"); }), std::runtime_error);
  EXPECT_EQ(log.events, (std::vector<std::string>{"before " + id(r.async_id()), "after " + id(r.async_id())}));
}

TEST(AsyncHooks, DestroyIsDeliveredWhenTheResourceGoes) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable();
  asyncctx::async_id rid = 0;
  {
    asyncctx::async_resource r("T");
    rid = r.async_id();
    log.events.clear();
  }
  EXPECT_EQ(log.events, (std::vector<std::string>{"destroy " + id(rid)}));
}

TEST(AsyncHooks, PromiseResolveIsDelivered) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable();
  asyncctx::detail::emit_promise_resolve(42);
  EXPECT_EQ(log.events, (std::vector<std::string>{"resolve 42"}));
}

TEST(AsyncHooks, EmptyCallbacksAreSkipped) {
  int before = 0;
  auto hook = asyncctx::create_hook(
      {.init = {}, .before = [&](asyncctx::async_id) { ++before; }, .after = {}, .destroy = {}, .promise_resolve = {}});
  hook.enable();
  asyncctx::async_resource r("T");
  r.run_in_async_scope([] {});
  EXPECT_EQ(before, 1);
}

TEST(AsyncHooks, AHookIsCreatedDisabled) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  EXPECT_FALSE(hook.enabled());
  asyncctx::async_resource r("T");
  r.run_in_async_scope([] {});
  EXPECT_TRUE(log.events.empty());
}

TEST(AsyncHooks, DisableStopsDelivery) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  EXPECT_TRUE(hook.enable().enabled());
  EXPECT_FALSE(hook.disable().enabled());
  asyncctx::async_resource r("T");
  EXPECT_TRUE(log.events.empty());
}

TEST(AsyncHooks, EnableTwiceDeliversOnce) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable().enable();
  asyncctx::async_resource r("T");
  EXPECT_EQ(log.events.size(), 1U);
}

TEST(AsyncHooks, EveryEnabledHookReceivesTheEvent) {
  event_log a;
  event_log b;
  auto ha = asyncctx::create_hook(a.callbacks());
  auto hb = asyncctx::create_hook(b.callbacks());
  ha.enable();
  hb.enable();
  asyncctx::async_resource r("T");
  EXPECT_EQ(a.events.size(), 1U);
  EXPECT_EQ(b.events.size(), 1U);
}

TEST(AsyncHooks, AHookDisablesItselfOnDestruction) {
  event_log log;
  {
    auto hook = asyncctx::create_hook(log.callbacks());
    hook.enable();
  }
  asyncctx::async_resource r("T");
  EXPECT_TRUE(log.events.empty());
}

TEST(AsyncHooks, MoveAssigningOverAnEnabledHookDisablesIt) {
  event_log log;
  auto hook = asyncctx::create_hook(log.callbacks());
  hook.enable();
  hook = asyncctx::async_hook{};
  asyncctx::async_resource r("T");
  EXPECT_TRUE(log.events.empty());
}

TEST(AsyncHooks, HookCallbacksRunInTheEventsContext) {
  asyncctx::variable<int> v;
  int seen_in_init = 0;
  int seen_in_before = 0;
  auto hook = asyncctx::create_hook({.init = [&](auto, auto, auto, auto) { seen_in_init = v.value_or(-1); },
                                     .before = [&](auto) { seen_in_before = v.value_or(-1); },
                                     .after = {},
                                     .destroy = {},
                                     .promise_resolve = {}});
  hook.enable();
  v.run(1, [&] {
    asyncctx::async_resource r("T");
    v.run(2, [&] { r.run_in_async_scope([] {}); });
  });
  EXPECT_EQ(seen_in_init, 1);
  EXPECT_EQ(seen_in_before, 2) << "before runs where the callback is entered";
}

TEST(AsyncHooks, AThrowingHookCallbackLeavesTheContextAsItWas) {
  error_capture capture;
  asyncctx::variable<int> v;
  asyncctx::async_local_storage<int> als;
  auto hook = asyncctx::create_hook({.init =
                                         [&](auto, auto, auto, auto) {
                                           als.enter_with(99);
                                           auto leaked = v.set(98);
                                           leaked.restore();
                                           throw std::runtime_error("hook failed");
                                         },
                                     .before = {},
                                     .after = {},
                                     .destroy = {},
                                     .promise_resolve = {}});
  hook.enable();
  v.run(5, [&] {
    asyncctx::async_resource r("T");
    EXPECT_EQ(*v.get(), 5);
    EXPECT_EQ(als.get_store(), nullptr);
    EXPECT_EQ(asyncctx::execution_async_id(), 1U);
  });
}

TEST(AsyncHooks, AThrowingHookCallbackErrorReachesTheHookErrorHandler) {
  error_capture capture;
  auto hook = asyncctx::create_hook({.init = [&](auto, auto, auto, auto) { throw std::runtime_error("hook failed"); },
                                     .before = {},
                                     .after = {},
                                     .destroy = {},
                                     .promise_resolve = {}});
  hook.enable();
  asyncctx::async_resource r("T");
  ASSERT_EQ(capture.errors.size(), 1U);
  EXPECT_EQ(what(capture.errors[0]), "hook failed");
}

TEST(AsyncHooks, AThrowingHookDoesNotStopTheOtherHooks) {
  error_capture capture;
  auto bad = asyncctx::create_hook({.init = [&](auto, auto, auto, auto) { throw std::runtime_error("x"); },
                                    .before = {},
                                    .after = {},
                                    .destroy = {},
                                    .promise_resolve = {}});
  event_log log;
  auto good = asyncctx::create_hook(log.callbacks());
  bad.enable();
  good.enable();
  asyncctx::async_resource r("T");
  EXPECT_EQ(log.events.size(), 1U);
}

TEST(AsyncHooks, AHookCallbackThatLeaksAContextChangeIsUndone) {
  asyncctx::async_local_storage<int> als;
  auto hook = asyncctx::create_hook(
      {.init = {}, .before = [&](auto) { als.enter_with(7); }, .after = {}, .destroy = {}, .promise_resolve = {}});
  hook.enable();
  asyncctx::async_resource r("T");
  r.run_in_async_scope([&] { EXPECT_EQ(als.get_store(), nullptr); });
  EXPECT_EQ(als.get_store(), nullptr);
}

TEST(AsyncHooks, DisableFromInsideItsOwnCallbackDoesNotDeadlock) {
  asyncctx::async_hook hook;
  int calls = 0;
  hook = asyncctx::create_hook({.init = {},
                                .before =
                                    [&](auto) {
                                      ++calls;
                                      hook.disable();
                                    },
                                .after = {},
                                .destroy = {},
                                .promise_resolve = {}});
  hook.enable();
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  std::thread worker([&, done] {
    asyncctx::async_resource r("T");
    r.run_in_async_scope([] {});
    r.run_in_async_scope([] {});
    done->set_value();
  });
  if (finished.wait_for(20s) != std::future_status::ready) {
    worker.detach();
    FAIL() << "disable() from inside its own callback deadlocked";
  }
  worker.join();
  EXPECT_EQ(calls, 1);
  EXPECT_FALSE(hook.enabled());
}

TEST(AsyncHooks, DisableWaitsForInFlightCallbacksOnOtherThreads) {
  std::atomic<bool> entered{false};
  std::atomic<bool> finished{false};
  auto hook = asyncctx::create_hook({.init = {},
                                     .before =
                                         [&](auto) {
                                           entered = true;
                                           std::this_thread::sleep_for(200ms);
                                           finished = true;
                                         },
                                     .after = {},
                                     .destroy = {},
                                     .promise_resolve = {}});
  hook.enable();
  std::thread worker([] {
    asyncctx::async_resource r("T");
    r.run_in_async_scope([] {});
  });
  while (!entered) std::this_thread::yield();
  hook.disable();
  EXPECT_TRUE(finished) << "disable() returned while a callback was still running";
  worker.join();
}

TEST(AsyncHooks, NoCallbackStartsAfterDisableReturns) {
  std::atomic<int> calls_after{0};
  std::atomic<bool> disabled{false};
  auto hook = asyncctx::create_hook({.init = {},
                                     .before =
                                         [&](auto) {
                                           if (disabled) ++calls_after;
                                         },
                                     .after = {},
                                     .destroy = {},
                                     .promise_resolve = {}});
  hook.enable();
  std::atomic<bool> stop{false};
  std::thread worker([&] {
    asyncctx::async_resource r("T");
    while (!stop) r.run_in_async_scope([] {});
  });
  std::this_thread::sleep_for(20ms);
  hook.disable();
  disabled = true;
  std::this_thread::sleep_for(20ms);
  stop = true;
  worker.join();
  EXPECT_EQ(calls_after, 0);
}

// A value that owns an async resource: releasing the context that holds it emits destroy.
struct owns_a_resource {
  std::unique_ptr<asyncctx::async_resource> resource = std::make_unique<asyncctx::async_resource>("REQUEST");
};

// A thread that ends with a context still current releases it during thread exit. With a
// hook enabled, the value's destructor then emits destroy while the thread's other
// thread-locals are being destroyed: whatever emission touches on this thread must still be
// there. Run in a child process, so that a crash fails this test and not the suite.
TEST(AsyncHooksDeathTest, ThreadExitReleasingAValueThatEmitsDestroyIsSafe) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_EXIT(
      {
        static asyncctx::async_local_storage<int> tenant;
        static asyncctx::async_local_storage<owns_a_resource> request;
        static std::atomic<int> destroyed{0};
        auto hook = asyncctx::create_hook({.destroy = [](asyncctx::async_id) { ++destroyed; }});
        hook.enable();
        std::thread([] {
          tenant.enter_with(1);                   // the thread's context, released at thread exit
          request.enter_with(owns_a_resource{});  // the first hook event on this thread
        }).join();
        std::exit(destroyed.load() == 1 ? 0 : 3);
      },
      ::testing::ExitedWithCode(0), "");
}

// The number of enabled hooks the library counts must be the number registered: a hook
// enabled twice at once is registered once, and disabling it leaves the count at zero.
TEST(AsyncHooks, EnablingOneHookFromTwoThreadsAtOnceRegistersItOnce) {
  // Many other enabled hooks make the registration slow, which widens any race window.
  std::vector<asyncctx::async_hook> others;
  for (int i = 0; i < 200; ++i) {
    others.push_back(asyncctx::create_hook({}));
    others.back().enable();
  }
  const int base = asyncctx::detail::g_enabled_hooks.load();
  for (int round = 0; round < 200; ++round) {
    std::atomic<int> inits{0};
    auto hook = asyncctx::create_hook({.init = [&](auto, auto, auto, auto) { ++inits; }});
    std::barrier start(2);
    std::thread other([&] {
      start.arrive_and_wait();
      hook.enable();
    });
    start.arrive_and_wait();
    hook.enable();
    other.join();
    ASSERT_EQ(asyncctx::detail::g_enabled_hooks.load(), base + 1) << "round " << round;
    { asyncctx::async_resource r("T"); }
    ASSERT_EQ(inits.load(), 1) << "round " << round << ": an event delivered twice";
    hook.disable();
    ASSERT_EQ(asyncctx::detail::g_enabled_hooks.load(), base) << "round " << round;
  }
  others.clear();
  EXPECT_FALSE(asyncctx::detail::hooks_enabled());
}

}  // namespace
