// event_emitter<Args...>: dispatch context (emit-time, wrapped listeners, async-resource
// emitters), once / off, the exception rule, error_emitter, hooks and thread-safety
// (event_emitter.hpp).
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/event_emitter.hpp>
#include <asyncctx/snapshot.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

asyncctx::async_local_storage<std::string> als;

std::string store_or_none() {
  const std::string* s = als.get_store();
  return s != nullptr ? *s : "<none>";
}

TEST(EventEmitter, EmitCallsListenersInOrderAndReportsWhetherThereWereAny) {
  asyncctx::event_emitter<int, const std::string&> e;
  EXPECT_FALSE(e.emit(1, "x"));
  std::vector<std::string> calls;
  e.on([&](int i, const std::string& s) { calls.push_back("a" + std::to_string(i) + s); });
  e.on([&](int i, const std::string& s) { calls.push_back("b" + std::to_string(i) + s); });
  EXPECT_EQ(e.listener_count(), 2U);
  EXPECT_TRUE(e.emit(1, "x"));
  EXPECT_EQ(calls, (std::vector<std::string>{"a1x", "b1x"}));
}

TEST(EventEmitter, ListenersRunInTheEmitTimeContext) {
  asyncctx::event_emitter<> e;
  std::vector<std::string> seen;
  als.run("registration", [&] { e.on([&] { seen.push_back(store_or_none()); }); });
  als.run("emit 1", [&] { e.emit(); });
  e.emit();
  EXPECT_EQ(seen, (std::vector<std::string>{"emit 1", "<none>"}));
}

TEST(EventEmitter, AWrappedListenerKeepsItsRegistrationContext) {
  asyncctx::event_emitter<> e;
  std::string seen;
  als.run("registration", [&] { e.on(asyncctx::snapshot::wrap([&] { seen = store_or_none(); })); });
  als.run("emitter", [&] { e.emit(); });
  EXPECT_EQ(seen, "registration");
}

// Node's test-async-local-storage-stream-finished: a callback registered inside a run sees
// that store when the stream (here an emitter) finishes from elsewhere.
TEST(EventEmitter, StreamFinishedCallbackSeesTheStoreOfItsRegistration) {
  asyncctx::event_emitter<> finished;
  std::string seen;
  std::thread::id seen_thread;
  als.run("request", [&] {
    finished.once(als.bind([&] {
      seen = store_or_none();
      seen_thread = std::this_thread::get_id();
    }));
  });
  std::thread::id other;
  std::thread t([&] {
    other = std::this_thread::get_id();
    als.run("stream internals", [&] { finished.emit(); });
  });
  t.join();
  EXPECT_EQ(seen, "request");
  EXPECT_EQ(seen_thread, other);
  EXPECT_EQ(finished.listener_count(), 0U);
}

TEST(EventEmitter, AsyncResourceEmitterDispatchesInItsCreationContext) {
  std::mutex m;
  std::vector<std::string> events;
  auto hook = asyncctx::create_hook({
      .init =
          [&](asyncctx::async_id id, std::string_view type, asyncctx::async_id, const void*) {
            std::lock_guard lock(m);
            events.push_back("init " + std::to_string(id) + " " + std::string(type));
          },
      .before =
          [&](asyncctx::async_id id) {
            std::lock_guard lock(m);
            events.push_back("before " + std::to_string(id));
          },
      .after =
          [&](asyncctx::async_id id) {
            std::lock_guard lock(m);
            events.push_back("after " + std::to_string(id));
          },
      .destroy =
          [&](asyncctx::async_id id) {
            std::lock_guard lock(m);
            events.push_back("destroy " + std::to_string(id));
          },
      .promise_resolve = {},
  });
  hook.enable();
  asyncctx::async_id id = 0, inside = 0;
  std::string seen;
  {
    auto e =
        als.run("creation", [] { return std::make_unique<asyncctx::event_emitter<>>(asyncctx::as_async_resource); });
    id = e->async_id();
    EXPECT_NE(id, 0U);
    e->on([&] {
      seen = store_or_none();
      inside = asyncctx::execution_async_id();
    });
    als.run("emit", [&] { e->emit(); });
    EXPECT_EQ(store_or_none(), "<none>");
  }
  hook.disable();
  EXPECT_EQ(seen, "creation");
  EXPECT_EQ(inside, id);
  const auto s = std::to_string(id);
  EXPECT_EQ(events, (std::vector<std::string>{"init " + s + " EMITTER", "before " + s, "after " + s, "destroy " + s}));
}

TEST(EventEmitter, AThrowingListenerStopsTheEmitAndTheContextIsRestored) {
  asyncctx::event_emitter<int> e;
  std::vector<int> calls;
  e.on([&](int) { calls.push_back(1); });
  e.on([&](int) {
    als.enter_with("listener");
    throw std::runtime_error("listener failed");
  });
  e.on([&](int) { calls.push_back(3); });
  als.run("caller", [&] {
    EXPECT_THROW(e.emit(0), std::runtime_error);
    EXPECT_EQ(store_or_none(), "caller");
  });
  EXPECT_EQ(calls, std::vector<int>{1});
  EXPECT_EQ(e.listener_count(), 3U);  // a throwing listener stays registered, as in Node
}

TEST(EventEmitter, AsyncResourceEmitterRestoresContextWhenAListenerThrows) {
  auto e = als.run("creation", [] { return std::make_unique<asyncctx::event_emitter<>>(asyncctx::as_async_resource); });
  e->on([] { throw std::runtime_error("x"); });
  const auto before = asyncctx::execution_async_id();
  als.run("caller", [&] {
    EXPECT_THROW(e->emit(), std::runtime_error);
    EXPECT_EQ(store_or_none(), "caller");
  });
  EXPECT_EQ(asyncctx::execution_async_id(), before);
}

TEST(EventEmitter, AListenerEnterWithEndsWithThatListener) {
  asyncctx::event_emitter<> e;
  std::vector<std::string> seen;
  e.on([&] { als.enter_with("leak?"); });
  e.on([&] { seen.push_back(store_or_none()); });
  als.run("emit", [&] {
    e.emit();
    seen.push_back(store_or_none());
  });
  EXPECT_EQ(seen, (std::vector<std::string>{"emit", "emit"}));
}

TEST(EventEmitter, OnceRunsOnce) {
  asyncctx::event_emitter<int> e;
  int total = 0;
  e.once([&](int v) { total += v; });
  EXPECT_EQ(e.listener_count(), 1U);
  EXPECT_TRUE(e.emit(5));
  EXPECT_EQ(e.listener_count(), 0U);
  EXPECT_FALSE(e.emit(7));
  EXPECT_EQ(total, 5);
}

TEST(EventEmitter, OnceIsRemovedBeforeItRunsSoANestedEmitSkipsIt) {
  asyncctx::event_emitter<int> e;
  std::vector<int> calls;
  e.once([&](int v) {
    calls.push_back(v);
    e.emit(v + 1);
  });
  e.emit(1);
  EXPECT_EQ(calls, std::vector<int>{1});
}

TEST(EventEmitter, OffInsideEmitTakesEffectFromTheNextEmit) {
  asyncctx::event_emitter<> e;
  std::vector<std::string> calls;
  asyncctx::listener_id second{};
  bool removed = false;
  const auto first = e.on([&] {
    calls.push_back("first");
    if (!removed) {
      removed = true;
      EXPECT_TRUE(e.off(second));  // Node: the emit in progress still calls `second`
    }
  });
  second = e.on([&] { calls.push_back("second"); });
  e.emit();
  EXPECT_EQ(calls, (std::vector<std::string>{"first", "second"}));
  calls.clear();
  e.emit();
  EXPECT_EQ(calls, (std::vector<std::string>{"first"}));
  EXPECT_FALSE(e.off(second));
  EXPECT_TRUE(e.off(first));
  EXPECT_EQ(e.listener_count(), 0U);
}

TEST(EventEmitter, AListenerMayRemoveItself) {
  asyncctx::event_emitter<> e;
  int calls = 0;
  asyncctx::listener_id self{};
  self = e.on([&] {
    ++calls;
    e.off(self);
  });
  e.emit();
  e.emit();
  EXPECT_EQ(calls, 1);
}

TEST(EventEmitter, EmptyListenerIsRejected) {
  asyncctx::event_emitter<> e;
  EXPECT_THROW(e.on(std::function<void()>{}), std::invalid_argument);
}

TEST(ErrorEmitter, RethrowsWhenNobodyListens) {
  asyncctx::error_emitter errors;
  EXPECT_THROW(errors.emit(std::make_exception_ptr(std::runtime_error("unheard"))), std::runtime_error);
  std::string got;
  errors.on([&](std::exception_ptr e) {
    try {
      std::rethrow_exception(e);
    } catch (const std::exception& ex) {
      got = ex.what();
    }
  });
  EXPECT_TRUE(errors.emit(std::make_exception_ptr(std::runtime_error("heard"))));
  EXPECT_EQ(got, "heard");
}

thread_local std::string t_thread_name = "<none>";

TEST(EventEmitterThreads, ConcurrentOnOffEmitAndOnceRunsOnce) {
  asyncctx::event_emitter<int> e;
  std::atomic<int> once_calls{0};
  std::atomic<long> sum{0};
  std::atomic<int> mismatches{0};
  e.once([&](int) { ++once_calls; });
  e.on([&](int v) { sum += v; });
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      t_thread_name = "thread" + std::to_string(t);
      als.run(t_thread_name, [&] {
        for (int i = 0; i < 500; ++i) {
          // Whoever registered it, a listener runs on the emitting thread, in its context.
          const auto id = e.on([&](int) {
            if (store_or_none() != t_thread_name) ++mismatches;
          });
          e.emit(1);
          e.off(id);
        }
      });
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(once_calls, 1);
  EXPECT_EQ(sum, 2000);
  EXPECT_EQ(mismatches, 0);
  EXPECT_EQ(e.listener_count(), 1U);
}

}  // namespace
