// The library's one error channel (error_handler.hpp): every error it cannot throw to a
// caller reaches the same handler, each kind told apart, set and read safely from any thread.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "support/exception_text.hpp"

namespace {

using asyncctx::error_kind;

struct seen_report {
  error_kind kind;
  std::string message;
  std::string what;
};

// Records every report for the life of the recorder.
class all_reports {
 public:
  all_reports()
      : previous_(asyncctx::set_error_handler([this](const asyncctx::error_report& r) {
          std::lock_guard lock(mutex_);
          seen_.push_back({r.kind, std::string(r.message), r.exception ? asyncctx_test::what(r.exception) : ""});
        })) {}
  all_reports(const all_reports&) = delete;
  all_reports& operator=(const all_reports&) = delete;
  ~all_reports() { asyncctx::set_error_handler(previous_); }
  std::vector<seen_report> seen() {
    std::lock_guard lock(mutex_);
    return seen_;
  }

 private:
  std::mutex mutex_;
  std::vector<seen_report> seen_;
  asyncctx::error_handler previous_;
};

TEST(ErrorHandler, EveryKindOfErrorReachesTheOneHandlerAndSaysWhichItIs) {
  all_reports reports;
  asyncctx::variable<int> v;
  // misuse: a scope restored out of order (the inner one, unwound by it, is reported too
  // when it is restored in turn)
  {
    auto outer = v.set(1);
    auto inner = v.set(2);
    outer.restore();
    inner.restore();
  }
  // hook_callback: a hook callback that throws
  {
    auto hook = asyncctx::create_hook({.init = [](auto, auto, auto, auto) { throw std::runtime_error("hook"); }});
    hook.enable();
    asyncctx::async_resource r("T");
  }
  // unhandled_rejection: a rejected future nobody observes
  { (void)asyncctx::make_rejected_future<int>(std::make_exception_ptr(std::runtime_error("rejected"))); }
  // spawned_task: a detached task that throws
  asyncctx::spawn([]() -> asyncctx::task<> {
    throw std::runtime_error("spawned");
    co_return;
  }());
  // pool_task: a posted function that throws
  {
    asyncctx::thread_pool pool(1);
    pool.post([] { throw std::runtime_error("pooled"); });
    pool.wait_idle();
  }
  const auto seen = reports.seen();
  ASSERT_EQ(seen.size(), 6U);
  EXPECT_EQ(seen[0].kind, error_kind::misuse);
  EXPECT_EQ(seen[0].what, "");
  EXPECT_EQ(seen[1].kind, error_kind::misuse);
  EXPECT_EQ(seen[2].kind, error_kind::hook_callback);
  EXPECT_EQ(seen[2].what, "hook");
  EXPECT_EQ(seen[3].kind, error_kind::unhandled_rejection);
  EXPECT_EQ(seen[3].what, "rejected");
  EXPECT_EQ(seen[4].kind, error_kind::spawned_task);
  EXPECT_EQ(seen[4].what, "spawned");
  EXPECT_EQ(seen[5].kind, error_kind::pool_task);
  EXPECT_EQ(seen[5].what, "pooled");
  std::set<std::string_view> names;
  for (const auto& r : seen) {
    EXPECT_FALSE(r.message.empty());
    names.insert(asyncctx::to_string(r.kind));
  }
  EXPECT_EQ(names.size(), 5U) << "each kind has its own name";
}

TEST(ErrorHandler, TheDefaultPrintsOneLineToStderr) {
  auto previous = asyncctx::set_error_handler({});  // the default
  ::testing::internal::CaptureStderr();
  {
    asyncctx::thread_pool pool(1);
    pool.post([] { throw std::runtime_error("boom"); });
    pool.wait_idle();
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  asyncctx::set_error_handler(std::move(previous));
  EXPECT_EQ(out, "asyncctx: pool_task: a function posted to a thread_pool threw: boom\n");
}

TEST(ErrorHandler, SetReturnsThePreviousAndCurrentReadsIt) {
  auto previous = asyncctx::set_error_handler({});
  EXPECT_FALSE(asyncctx::current_error_handler());
  int calls = 0;
  EXPECT_FALSE(asyncctx::set_error_handler([&](const asyncctx::error_report&) { ++calls; }));
  ASSERT_TRUE(asyncctx::current_error_handler());
  asyncctx::current_error_handler()({error_kind::misuse, "m", nullptr});
  EXPECT_EQ(calls, 1);
  EXPECT_TRUE(asyncctx::set_error_handler(std::move(previous)));
}

TEST(ErrorHandler, AHandlerThatThrowsIsSwallowedAndTheReporterCarriesOn) {
  auto previous = asyncctx::set_error_handler([](const asyncctx::error_report&) { throw std::logic_error("bad"); });
  ::testing::internal::CaptureStderr();
  {
    asyncctx::thread_pool pool(1);
    pool.post([] { throw std::runtime_error("x"); });
    EXPECT_EQ(pool.submit([] { return 2; }).get(), 2);
  }
  const std::string out = ::testing::internal::GetCapturedStderr();
  asyncctx::set_error_handler(std::move(previous));
  EXPECT_NE(out.find("the error handler threw"), std::string::npos) << out;
}

// Handlers replaced on two threads while two others report: every report reaches one of
// the handlers in force (never a destroyed one), and nothing races (ThreadSanitizer).
TEST(ErrorHandler, SettingAndReportingFromManyThreadsAtOnceIsSafe) {
  std::atomic<int> delivered{0};
  auto previous = asyncctx::set_error_handler([&delivered](const asyncctx::error_report&) { ++delivered; });
  std::vector<std::thread> threads;
  constexpr int reports_per_thread = 2000;
  for (int t = 0; t < 2; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) {
        asyncctx::set_error_handler([&delivered](const asyncctx::error_report&) { ++delivered; });
      }
    });
    threads.emplace_back([&] {
      for (int i = 0; i < reports_per_thread; ++i) {
        asyncctx::detail::report_error(error_kind::pool_task, "r", nullptr);
      }
    });
  }
  for (auto& t : threads) t.join();
  asyncctx::set_error_handler(std::move(previous));
  EXPECT_EQ(delivered.load(), 2 * reports_per_thread);
}

}  // namespace
