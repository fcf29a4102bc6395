// future<T>: then / catch_ / finally in the registration-time context (TC39
// PerformPromiseThen), flattening of returned futures (the thenable cases), co_await, the
// combinators, unhandled rejections and the "PROMISE" async hooks (future.hpp,
// future_combinators.hpp, unhandled rejections through error_handler.hpp).
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/future_combinators.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <coroutine>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#if __has_include(<asyncctx/task.hpp>) && __has_include(<asyncctx/sync_wait.hpp>)
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#define ASYNCCTX_TEST_HAVE_TASK 1
#endif

#include "support/exception_text.hpp"

namespace {

asyncctx::async_local_storage<std::string> als;

std::string store_or_none() {
  const std::string* s = als.get_store();
  return s != nullptr ? *s : "<none>";
}

using asyncctx_test::what;

// Collects unhandled rejections (with the store current in the handler) for one test.
class rejection_capture {
 public:
  rejection_capture()
      : previous_(asyncctx::set_error_handler([this](const asyncctx::error_report& r) {
          EXPECT_EQ(r.kind, asyncctx::error_kind::unhandled_rejection);
          std::lock_guard lock(mutex_);
          reports_.push_back({what(r.exception), store_or_none()});
        })) {}
  ~rejection_capture() { asyncctx::set_error_handler(previous_); }
  std::vector<std::pair<std::string, std::string>> reports() {
    std::lock_guard lock(mutex_);
    return reports_;
  }

 private:
  std::mutex mutex_;
  std::vector<std::pair<std::string, std::string>> reports_;
  asyncctx::error_handler previous_;
};

// The smallest eager coroutine, to test the awaiter without asyncctx::task: it installs no
// context, so only values and threads are checked with it.
struct eager {
  struct promise_type {
    eager get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

TEST(Future, ThenInAChainCreatedInsideRunSeesTheStore) {
  asyncctx::promise<int> p;
  std::vector<std::string> seen;
  als.run("request-1", [&] {
    p.get_future()
        .then([&](int v) {
          seen.push_back(store_or_none());
          return v + 1;
        })
        .then([&](int v) {
          seen.push_back(store_or_none());
          return v * 2;
        })
        .then([&](int) { seen.push_back(store_or_none()); });
  });
  als.run("resolver", [&] { p.resolve(1); });  // the resolver's context is not the callbacks'
  EXPECT_EQ(seen, (std::vector<std::string>{"request-1", "request-1", "request-1"}));
}

TEST(Future, RejectionHandledOutsideAnyRunSeesNoStore) {
  asyncctx::promise<int> p;
  asyncctx::future<int> f = als.run("request-1", [&] { return p.get_future().then([](int v) { return v; }); });
  std::string seen;
  auto handled = f.catch_([&](std::exception_ptr e) {
    seen = store_or_none() + " " + what(e);
    return 0;
  });
  als.run("rejecter", [&] { p.reject(std::runtime_error("boom")); });
  EXPECT_EQ(seen, "<none> boom");
  EXPECT_EQ(handled.get(), 0);
}

TEST(Future, CallbacksRunWhenRegisteredOnASettledFuture) {
  auto f = asyncctx::make_resolved_future(5);
  int seen = 0;
  als.run("late", [&] { f.then([&](int v) { seen = v; }); });
  EXPECT_EQ(seen, 5);  // synchronously, on the registering thread
}

// The four thenable cases of Node's test-async-local-storage-thenable, mapped to futures.
TEST(Future, Thenable1CallbackReturningASettledFutureIsFlattened) {
  asyncctx::promise<int> p;
  std::string inner_store;
  auto f = als.run("outer", [&] {
    return p.get_future().then([&](int v) {
      return asyncctx::make_resolved_future(v + 1).then([&](int w) {
        inner_store = store_or_none();
        return w * 10;
      });
    });
  });
  static_assert(std::is_same_v<decltype(f), asyncctx::future<int>>);
  p.resolve(1);
  EXPECT_EQ(f.get(), 20);
  EXPECT_EQ(inner_store, "outer");
}

TEST(Future, Thenable2CallbackReturningAFutureSettledLaterOnAnotherThread) {
  asyncctx::promise<int> p;
  asyncctx::promise<int> later;
  std::string after_store;
  std::thread::id after_thread;
  auto f = als.run("outer", [&] {
    return p.get_future().then([&](int) { return later.get_future(); }).then([&](int v) {
      after_store = store_or_none();
      after_thread = std::this_thread::get_id();
      return v;
    });
  });
  p.resolve(0);
  EXPECT_FALSE(f.ready());
  std::thread::id settler;
  std::thread t([&] {
    settler = std::this_thread::get_id();
    als.run("other thread", [&] { later.resolve(42); });
  });
  t.join();
  EXPECT_EQ(f.get(), 42);
  EXPECT_EQ(after_store, "outer");
  EXPECT_EQ(after_thread, settler);
}

TEST(Future, Thenable3CoAwaitOfASettledFuture) {
  std::optional<int> got;
  auto f = asyncctx::make_resolved_future(7);
  [](asyncctx::future<int> f, std::optional<int>& out) -> eager { out = co_await f; }(f, got);
  EXPECT_EQ(got, 7);
}

TEST(Future, Thenable4CoAwaitOfAFutureSettledFromAnotherThread) {
  asyncctx::promise<int> p;
  std::atomic<int> got{0};
  std::atomic<bool> resumed_on_settler{false};
  std::thread::id settler;
  [](asyncctx::future<int> f, std::atomic<int>& out, std::atomic<bool>& on_settler,
     std::thread::id& settler_id) -> eager {
    const int v = co_await f;
    on_settler = std::this_thread::get_id() == settler_id;
    out = v;
  }(p.get_future(), got, resumed_on_settler, settler);
  EXPECT_EQ(got, 0);
  std::thread t([&] {
    settler = std::this_thread::get_id();
    p.resolve(9);
  });
  t.join();
  EXPECT_EQ(got, 9);
  EXPECT_TRUE(resumed_on_settler);
}

TEST(Future, CoAwaitRethrowsARejection) {
  std::string error;
  [](asyncctx::future<void> f, std::string& out) -> eager {
    try {
      co_await f;
    } catch (const std::exception& e) {
      out = e.what();
    }
  }(asyncctx::make_rejected_future<void>(std::make_exception_ptr(std::runtime_error("no"))), error);
  EXPECT_EQ(error, "no");
}

#if defined(ASYNCCTX_TEST_HAVE_TASK)
asyncctx::task<std::string> await_then_read(asyncctx::future<int> f) {
  const int v = co_await f;
  co_return std::to_string(v) + " " + store_or_none();
}

TEST(Future, TaskSeesItsStoreAfterCoAwaitOfAFutureSettledOnAnotherThread) {
  asyncctx::promise<int> p;
  std::thread t([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    als.run("settler", [&] { p.resolve(3); });
  });
  std::string r = als.run("task store", [&] { return asyncctx::sync_wait(await_then_read(p.get_future())); });
  t.join();
  EXPECT_EQ(r, "3 task store");
}

TEST(Future, TaskSeesItsStoreAfterCoAwaitOfASettledFuture) {
  std::string r =
      als.run("task store", [&] { return asyncctx::sync_wait(await_then_read(asyncctx::make_resolved_future(1))); });
  EXPECT_EQ(r, "1 task store");
}
#endif

TEST(Future, VoidFutures) {
  asyncctx::promise<void> p;
  int steps = 0;
  auto f = p.get_future().then([&] { ++steps; }).then([&] {
    ++steps;
    return 3;
  });
  EXPECT_TRUE(p.resolve());
  EXPECT_EQ(f.get(), 3);
  EXPECT_EQ(steps, 2);
}

TEST(Future, ThrowingCallbackRejectsAndCatchRecovers) {
  auto f = asyncctx::make_resolved_future(1)
               .then([](int) -> int { throw std::runtime_error("bad"); })
               .then([](int v) { return v + 100; })  // skipped: the rejection propagates
               .catch_([](std::exception_ptr e) { return what(e) == "bad" ? -1 : -2; });
  EXPECT_EQ(f.get(), -1);
}

TEST(Future, ThenWithBothHandlers) {
  auto f = asyncctx::make_rejected_future<int>(std::make_exception_ptr(std::runtime_error("x")))
               .then([](int v) { return std::to_string(v); }, [](std::exception_ptr e) { return "err " + what(e); });
  EXPECT_EQ(f.get(), "err x");
}

TEST(Future, FinallyRunsInRegistrationContextAndPassesTheOutcomeThrough) {
  asyncctx::promise<int> p;
  std::string seen;
  auto f = als.run("finally", [&] { return p.get_future().finally([&] { seen = store_or_none(); }); });
  p.resolve(4);
  EXPECT_EQ(f.get(), 4);
  EXPECT_EQ(seen, "finally");

  auto g = asyncctx::make_rejected_future<int>(std::make_exception_ptr(std::runtime_error("kept"))).finally([] {
    return asyncctx::make_resolved_future();
  });
  EXPECT_THROW(
      try { g.get(); } catch (const std::runtime_error& e) {
        EXPECT_STREQ(e.what(), "kept");
        throw;
      },
      std::runtime_error);

  asyncctx::promise<void> gate;
  auto h = asyncctx::make_resolved_future(8).finally([&] { return gate.get_future(); });
  EXPECT_FALSE(h.ready());
  gate.resolve();
  EXPECT_EQ(h.get(), 8);
}

TEST(Future, MoveOnlyValues) {
  asyncctx::promise<std::unique_ptr<int>> p;
  auto f = p.get_future().then([](std::unique_ptr<int>&& v) { return *v + 1; });
  p.resolve(std::make_unique<int>(1));
  EXPECT_EQ(f.get(), 2);
}

TEST(Future, ALongChainUsesConstantStack) {
  asyncctx::promise<int> p;
  asyncctx::future<int> f = p.get_future();
  for (int i = 0; i < 200000; ++i) f = f.then([](int v) { return v + 1; });
  p.resolve(0);
  EXPECT_EQ(f.get(), 200000);
}

TEST(Future, ReactionsRunInRegistrationOrderAndNeverNested) {
  asyncctx::promise<int> p;
  auto f = p.get_future();
  std::vector<int> order;
  f.then([&](int) {
    order.push_back(1);
    asyncctx::make_resolved_future(0).then([&](int) { order.push_back(3); });  // queued, not nested
    order.push_back(2);
  });
  f.then([&](int) { order.push_back(4); });
  p.resolve(0);
  // As JavaScript's microtask queue runs them: 1, 2, then the reaction of the second then
  // (queued by the resolve), then the one queued from inside the first callback.
  EXPECT_EQ(order, (std::vector<int>{1, 2, 4, 3}));
}

TEST(Future, ChainingCycleIsRejected) {
  asyncctx::promise<int> p;
  auto holder = std::make_shared<asyncctx::future<int>>();
  *holder = p.get_future().then([holder](int) { return *holder; });
  p.resolve(1);
  EXPECT_THROW(holder->get(), std::logic_error);
  *holder = {};  // break the reference cycle of the test itself
}

// --- combinators ---------------------------------------------------------------------

TEST(FutureCombinators, AllFulfilsInInputOrderAndCallbacksSeeTheirContext) {
  std::vector<asyncctx::promise<int>> ps(3);
  std::vector<asyncctx::future<int>> fs;
  for (auto& p : ps) fs.push_back(p.get_future());
  std::string seen;
  std::vector<int> values;
  als.run("all", [&] {
    asyncctx::all(fs).then([&](const std::vector<int>& v) {
      seen = store_or_none();
      values = v;
    });
  });
  std::thread t1([&] { als.run("t1", [&] { ps[2].resolve(3); }); });
  t1.join();
  als.run("main", [&] { ps[0].resolve(1); });
  std::thread t2([&] { als.run("t2", [&] { ps[1].resolve(2); }); });
  t2.join();
  EXPECT_EQ(values, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(seen, "all");
}

TEST(FutureCombinators, AllRejectsOnTheFirstRejection) {
  asyncctx::promise<int> a, b;
  std::string seen;
  auto f = als.run("all", [&] {
    return asyncctx::all(std::vector{a.get_future(), b.get_future()}).catch_([&](std::exception_ptr e) {
      seen = store_or_none() + " " + what(e);
      return std::vector<int>{};
    });
  });
  als.run("rejecter", [&] { b.reject(std::runtime_error("first")); });
  a.reject(std::runtime_error("second"));  // ignored; and handled by all (not reported)
  f.wait();
  EXPECT_EQ(seen, "all first");
  EXPECT_EQ(asyncctx::all(std::vector<asyncctx::future<int>>{}).get(), std::vector<int>{});
  EXPECT_NO_THROW(asyncctx::all(std::vector{asyncctx::make_resolved_future()}).get());
}

TEST(FutureCombinators, RaceSettlesLikeTheFirst) {
  asyncctx::promise<int> a, b;
  std::string seen;
  auto f = als.run("race", [&] {
    return asyncctx::race(std::vector{a.get_future(), b.get_future()}).then([&](int v) {
      seen = store_or_none();
      return v;
    });
  });
  std::thread([&] { als.run("winner", [&] { b.resolve(2); }); }).join();
  a.resolve(1);
  EXPECT_EQ(f.get(), 2);
  EXPECT_EQ(seen, "race");

  asyncctx::promise<int> c;
  auto r = asyncctx::race(std::vector{c.get_future(), asyncctx::make_resolved_future(5)});
  c.reject(std::runtime_error("late"));
  EXPECT_EQ(r.get(), 5);
}

TEST(FutureCombinators, RaceOfNothingNeverSettles) {
  auto f = asyncctx::race(std::vector<asyncctx::future<int>>{});
  bool called = false;
  f.then([&](int) { called = true; });
  EXPECT_FALSE(f.ready());
  f = {};  // dropping it frees the pending chain (checked by the live-context count)
  EXPECT_FALSE(called);
}

TEST(FutureCombinators, AnyTakesTheFirstFulfilmentAndAggregatesRejections) {
  asyncctx::promise<int> a, b, c;
  std::string seen;
  auto f = als.run("any", [&] {
    return asyncctx::any(std::vector{a.get_future(), b.get_future(), c.get_future()}).then([&](int v) {
      seen = store_or_none();
      return v;
    });
  });
  a.reject(std::runtime_error("a"));
  std::thread([&] { als.run("t", [&] { c.resolve(3); }); }).join();
  b.resolve(2);
  EXPECT_EQ(f.get(), 3);
  EXPECT_EQ(seen, "any");

  asyncctx::promise<int> x, y;
  std::vector<std::string> reasons;
  std::string context;
  auto g = als.run("any-reject", [&] {
    return asyncctx::any(std::vector{x.get_future(), y.get_future()}).catch_([&](std::exception_ptr e) {
      context = store_or_none();
      try {
        std::rethrow_exception(e);
      } catch (const asyncctx::aggregate_error& agg) {
        for (const auto& r : agg.errors()) reasons.push_back(what(r));
      }
      return 0;
    });
  });
  y.reject(std::runtime_error("y"));
  x.reject(std::runtime_error("x"));
  g.wait();
  EXPECT_EQ(reasons, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(context, "any-reject");
  EXPECT_THROW(asyncctx::any(std::vector<asyncctx::future<int>>{}).get(), asyncctx::aggregate_error);
}

TEST(FutureCombinators, AllSettledReportsEveryOutcome) {
  asyncctx::promise<int> a, b;
  std::string seen;
  auto f = als.run("settled", [&] {
    return asyncctx::all_settled(std::vector{a.get_future(), b.get_future()}).then([&](auto results) {
      seen = store_or_none();
      return results;
    });
  });
  std::thread([&] { b.reject(std::runtime_error("b")); }).join();
  a.resolve(1);
  auto results = f.get();
  ASSERT_EQ(results.size(), 2U);
  EXPECT_EQ(results[0].status, asyncctx::settle_status::fulfilled);
  EXPECT_EQ(results[0].value, 1);
  EXPECT_EQ(results[1].status, asyncctx::settle_status::rejected);
  EXPECT_EQ(what(results[1].reason), "b");
  EXPECT_EQ(seen, "settled");

  auto v = asyncctx::all_settled(std::vector{asyncctx::make_resolved_future()}).get();
  ASSERT_EQ(v.size(), 1U);
  EXPECT_EQ(v[0].status, asyncctx::settle_status::fulfilled);
}

// --- unhandled rejections ---------------------------------------------------------------

TEST(UnhandledRejection, HandlerRunsInTheContextOfTheRejection) {
  rejection_capture capture;
  {
    asyncctx::promise<int> p;
    auto f = als.run("registered", [&] { return p.get_future().then([](int v) { return v; }); });
    als.run("rejected here", [&] { p.reject(std::runtime_error("lost")); });
    // `f` (the then-future) carries the rejection and is dropped unobserved below, on a
    // thread with another context.
    std::thread([f = std::move(f)]() mutable { als.run("dropper", [&] { f = {}; }); }).join();
  }
  // The then-callback was skipped; the derived future was rejected in its registration
  // context (propagation happens in the reaction), so that is "registered".
  auto reports = capture.reports();
  ASSERT_EQ(reports.size(), 1U);
  EXPECT_EQ(reports[0].first, "lost");
  EXPECT_EQ(reports[0].second, "registered");

  {
    asyncctx::promise<int> p;
    auto f = p.get_future();
    als.run("rejecter", [&] { p.reject(std::runtime_error("direct")); });
  }
  reports = capture.reports();
  ASSERT_EQ(reports.size(), 2U);
  EXPECT_EQ(reports[1].first, "direct");
  EXPECT_EQ(reports[1].second, "rejecter");
}

TEST(UnhandledRejection, ObservedRejectionsAreNotReported) {
  rejection_capture capture;
  {
    asyncctx::promise<int> p;
    auto f = p.get_future();
    f.catch_([](std::exception_ptr) { return 0; });
    p.reject(std::runtime_error("handled"));
  }
  {
    auto f = asyncctx::make_rejected_future<int>(std::make_exception_ptr(std::runtime_error("got")));
    EXPECT_THROW(f.get(), std::runtime_error);
  }
  {
    asyncctx::promise<int> never_shared;  // no future: nobody to tell
  }
  EXPECT_TRUE(capture.reports().empty());
}

// --- async hooks -----------------------------------------------------------------------

TEST(FutureHooks, PromiseResourceLifecycle) {
  std::mutex m;
  std::vector<std::string> events;
  auto log = [&](std::string e) {
    std::lock_guard lock(m);
    events.push_back(std::move(e));
  };
  auto hook = asyncctx::create_hook({
      .init =
          [&](asyncctx::async_id id, std::string_view type, asyncctx::async_id trigger, const void*) {
            log("init " + std::to_string(id) + " " + std::string(type) + " " + std::to_string(trigger));
          },
      .before = [&](asyncctx::async_id id) { log("before " + std::to_string(id)); },
      .after = [&](asyncctx::async_id id) { log("after " + std::to_string(id)); },
      .destroy = [&](asyncctx::async_id id) { log("destroy " + std::to_string(id)); },
      .promise_resolve = [&](asyncctx::async_id id) { log("resolve " + std::to_string(id)); },
  });
  hook.enable();
  asyncctx::async_id pid = 0, tid = 0, inside = 0, inside_trigger = 0;
  {
    asyncctx::promise<int> p;
    pid = p.id();
    auto t = p.get_future().then([&](int) {
      inside = asyncctx::execution_async_id();
      inside_trigger = asyncctx::trigger_async_id();
    });
    tid = t.id();
    p.resolve(1);
  }
  hook.disable();
  const auto s = [](asyncctx::async_id i) { return std::to_string(i); };
  EXPECT_EQ(inside, tid);
  EXPECT_EQ(inside_trigger, pid);
  EXPECT_EQ(events, (std::vector<std::string>{"init " + s(pid) + " PROMISE 1", "init " + s(tid) + " PROMISE " + s(pid),
                                              "resolve " + s(pid), "before " + s(tid), "resolve " + s(tid),
                                              "after " + s(tid), "destroy " + s(tid), "destroy " + s(pid)}));
}

// --- threads ---------------------------------------------------------------------------

TEST(FutureThreads, ManyFuturesSettledAndObservedAcrossThreads) {
  constexpr int n = 2000;
  std::vector<asyncctx::promise<int>> ps(n);
  std::vector<asyncctx::future<int>> results;
  std::atomic<int> mismatches{0};
  std::thread registrar([&] {
    for (int i = 0; i < n; ++i) {
      results.push_back(als.run("r" + std::to_string(i), [&, i] {
        return ps[i].get_future().then([&, i](int v) {
          if (store_or_none() != "r" + std::to_string(i) || v != i) ++mismatches;
          return v;
        });
      }));
    }
  });
  std::thread settler([&] {
    for (int i = 0; i < n; ++i) als.run("settler", [&] { ps[i].resolve(i); });
  });
  registrar.join();
  settler.join();
  long sum = 0;
  for (auto& f : results) sum += f.get();
  EXPECT_EQ(sum, static_cast<long>(n) * (n - 1) / 2);
  EXPECT_EQ(mismatches, 0);
}

TEST(FutureThreads, ConcurrentSettlersOneWins) {
  for (int round = 0; round < 200; ++round) {
    asyncctx::promise<int> p;
    auto f = p.get_future();
    std::atomic<int> wins{0};
    std::thread a([&] { wins += p.resolve(1) ? 1 : 0; });
    std::thread b([&] { wins += p.reject(std::runtime_error("r")) ? 1 : 0; });
    std::thread c([&] { wins += p.resolve(2) ? 1 : 0; });
    a.join();
    b.join();
    c.join();
    EXPECT_EQ(wins, 1);
    f.wait();
    try {
      f.get();
    } catch (...) {
    }
  }
}

}  // namespace
