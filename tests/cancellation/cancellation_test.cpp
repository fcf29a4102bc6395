// Go's context rules for asyncctx's cancellation (cancellation.hpp, after_cancel.hpp,
// cancelled.hpp): one test per rule.
#include <asyncctx/after_cancel.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/detail/deadline_timer.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace {

using namespace std::chrono_literals;
using asyncctx::cancel_errc;
using asyncctx::cancel_handle;
using clock_type = std::chrono::steady_clock;

// Waits (up to 5 s) for a condition another thread makes true.
template <class P>
bool eventually(P p) {
  for (auto until = clock_type::now() + 5s; clock_type::now() < until;) {
    if (p()) return true;
    std::this_thread::sleep_for(1ms);
  }
  return p();
}

TEST(Cancellation, OutsideAnyCancellableContextNothingIsCancelled) {
  EXPECT_FALSE(asyncctx::cancelled());
  EXPECT_FALSE(asyncctx::cause());
  EXPECT_FALSE(asyncctx::current_deadline());
  EXPECT_NO_THROW(asyncctx::throw_if_cancelled());
}

TEST(Cancellation, ParentCancelReachesChildrenAndGrandchildren) {
  asyncctx::with_cancel([](cancel_handle parent) {
    asyncctx::snapshot child, grandchild, grandchild2;
    asyncctx::with_cancel([&] {
      child = asyncctx::snapshot();
      asyncctx::with_cancel([&] { grandchild = asyncctx::snapshot(); });
      asyncctx::with_timeout(1h, [&] { grandchild2 = asyncctx::snapshot(); });
    });
    EXPECT_FALSE(grandchild([] { return asyncctx::cancelled(); }));
    parent.cancel();
    EXPECT_TRUE(asyncctx::cancelled());
    EXPECT_TRUE(child([] { return asyncctx::cancelled(); }));
    EXPECT_TRUE(grandchild([] { return asyncctx::cancelled(); }));
    EXPECT_TRUE(grandchild2([] { return asyncctx::cancelled(); }));
    EXPECT_EQ(grandchild([] { return asyncctx::cause(); }), cancel_errc::cancelled);
  });
}

TEST(Cancellation, ChildCancelNeverReachesItsParentOrSiblings) {
  asyncctx::with_cancel([](cancel_handle) {
    asyncctx::snapshot sibling, nephew;
    cancel_handle child;
    asyncctx::with_cancel([&](cancel_handle h) { child = h; });
    asyncctx::with_cancel([&] {
      sibling = asyncctx::snapshot();
      asyncctx::with_cancel([&] { nephew = asyncctx::snapshot(); });
    });
    child.cancel();
    EXPECT_TRUE(child.cancelled());
    EXPECT_FALSE(asyncctx::cancelled());
    EXPECT_FALSE(sibling([] { return asyncctx::cancelled(); }));
    EXPECT_FALSE(nephew([] { return asyncctx::cancelled(); }));
  });
}

TEST(Cancellation, AChildMadeInACancelledContextIsBornCancelledWithTheParentsCause) {
  const std::error_code why = std::make_error_code(std::errc::connection_aborted);
  asyncctx::with_cancel([&](cancel_handle h) {
    h.cancel(why);
    asyncctx::with_timeout(1h, [&] {
      EXPECT_TRUE(asyncctx::cancelled());
      EXPECT_EQ(asyncctx::cause(), why);
    });
  });
}

TEST(Cancellation, EffectiveDeadlineIsTheEarlierOfParentAndChild) {
  asyncctx::with_timeout(10s, [] {
    const auto parent = *asyncctx::current_deadline();
    asyncctx::with_timeout(1h, [&] { EXPECT_EQ(*asyncctx::current_deadline(), parent); });
    asyncctx::with_timeout(1s, [&] { EXPECT_LT(*asyncctx::current_deadline(), parent); });
    asyncctx::with_cancel([&] { EXPECT_EQ(*asyncctx::current_deadline(), parent); });
    const auto explicit_deadline = clock_type::now() + 2s;
    asyncctx::with_deadline(explicit_deadline, [&] { EXPECT_EQ(*asyncctx::current_deadline(), explicit_deadline); });
  });
}

TEST(Cancellation, AParentsEarlierDeadlineCancelsTheChildWithDeadlineExceeded) {
  asyncctx::with_timeout(30ms, [] {
    asyncctx::with_timeout(1h, [] {
      EXPECT_FALSE(asyncctx::cancelled());
      EXPECT_TRUE(eventually([] { return asyncctx::cancelled(); }));
      EXPECT_EQ(asyncctx::cause(), cancel_errc::deadline_exceeded);
    });
  });
}

TEST(Cancellation, TheDeadlinePassingCancelsWithDeadlineExceededNearItsTime) {
  const auto start = clock_type::now();
  asyncctx::with_timeout(50ms, [&] {
    std::atomic<bool> fired{false};
    auto reg = asyncctx::after_cancel([&] { fired = true; });
    EXPECT_TRUE(eventually([&] { return fired.load(); }));
    EXPECT_GE(clock_type::now() - start, 50ms);
    EXPECT_EQ(asyncctx::cause(), cancel_errc::deadline_exceeded);
  });
}

TEST(Cancellation, ADeadlineInThePastCancelsAtOnceWithDeadlineExceeded) {
  asyncctx::with_deadline(clock_type::now() - 1s, [] {
    EXPECT_TRUE(asyncctx::cancelled());
    EXPECT_EQ(asyncctx::cause(), cancel_errc::deadline_exceeded);
  });
  asyncctx::with_deadline(std::chrono::system_clock::now() - 1s, [] {
    EXPECT_TRUE(asyncctx::cancelled());
    EXPECT_EQ(asyncctx::cause(), cancel_errc::deadline_exceeded);
  });
}

TEST(Cancellation, AZeroOrNegativeTimeoutCancelsAtOnceWithDeadlineExceeded) {
  for (auto t : {0ms, -5ms}) {
    asyncctx::with_timeout(t, [] {
      EXPECT_TRUE(asyncctx::cancelled());
      EXPECT_EQ(asyncctx::cause(), cancel_errc::deadline_exceeded);
    });
  }
  asyncctx::with_timeout(std::chrono::hours::max(), [] {
    EXPECT_FALSE(asyncctx::cancelled());
    EXPECT_FALSE(asyncctx::current_deadline());
  });
}

TEST(Cancellation, TheCauseIsCancelledByTheCallerOrTheCallersOwn) {
  asyncctx::with_cancel([](cancel_handle h) {
    EXPECT_FALSE(asyncctx::cause());
    h.cancel();
    EXPECT_EQ(asyncctx::cause(), cancel_errc::cancelled);
    EXPECT_EQ(asyncctx::cause().message(), "cancelled by the caller");
    h.cancel(std::make_error_code(std::errc::timed_out));  // only the first cancellation counts
    EXPECT_EQ(h.cause(), cancel_errc::cancelled);
  });
  asyncctx::with_cancel([](cancel_handle h) {
    h.cancel(cancel_errc::client_gone);
    EXPECT_EQ(asyncctx::cause(), cancel_errc::client_gone);
    EXPECT_STREQ(asyncctx::cause().category().name(), "asyncctx.cancel");
  });
}

TEST(Cancellation, ThrowIfCancelledThrowsCancelledCarryingTheCause) {
  asyncctx::with_timeout(-1s, [] {
    try {
      asyncctx::throw_if_cancelled();
      ADD_FAILURE() << "no exception";
    } catch (const asyncctx::cancelled_error& e) {
      EXPECT_EQ(e.cause(), cancel_errc::deadline_exceeded);
      EXPECT_NE(std::string(e.what()).find("deadline exceeded"), std::string::npos) << e.what();
    }
  });
}

TEST(Cancellation, WithoutCancelKeepsTheValuesButDropsCancellationAndDeadline) {
  asyncctx::variable<int> id;
  id.run(7, [&] {
    asyncctx::with_timeout(1h, [&](cancel_handle h) {
      h.cancel();
      asyncctx::without_cancel([&] {
        EXPECT_EQ(*id.get(), 7);
        EXPECT_FALSE(asyncctx::cancelled());
        EXPECT_FALSE(asyncctx::current_deadline());
        // And what is made inside is a root again: it cancels on its own only.
        asyncctx::with_cancel([] { EXPECT_FALSE(asyncctx::cancelled()); });
      });
      EXPECT_TRUE(asyncctx::cancelled());
    });
  });
}

TEST(Cancellation, ReturningFromTheFunctionDoesNotCancelWorkItStarted) {
  asyncctx::snapshot inside;
  cancel_handle h;
  asyncctx::with_timeout(1h, [&](cancel_handle handle) {
    inside = asyncctx::snapshot();
    h = handle;
  });
  EXPECT_FALSE(inside([] { return asyncctx::cancelled(); }));
  h.cancel();
  EXPECT_TRUE(inside([] { return asyncctx::cancelled(); }));
}

TEST(AfterCancel, RunsExactlyOnceInTheContextWhereItWasRegistered) {
  asyncctx::variable<std::string> name;
  std::vector<std::string> seen;
  asyncctx::with_cancel([&](cancel_handle h) {
    name.run("registered", [&] {
      auto reg = asyncctx::after_cancel([&] {
        seen.push_back(*name.get());
        EXPECT_TRUE(asyncctx::cancelled());
      });
      (void)reg;
    });
    name.run("cancelling", [&] {
      h.cancel();
      h.cancel();
    });
  });
  EXPECT_EQ(seen, std::vector<std::string>{"registered"});
}

TEST(AfterCancel, NeverRunsAfterItWasUnregistered) {
  int runs = 0;
  asyncctx::with_cancel([&](cancel_handle h) {
    auto reg = asyncctx::after_cancel([&] { ++runs; });
    EXPECT_TRUE(reg.unregister());
    EXPECT_FALSE(reg.unregister());
    h.cancel();
  });
  EXPECT_EQ(runs, 0);
}

TEST(AfterCancel, UnregisterAfterItRanReturnsFalse) {
  int runs = 0;
  asyncctx::with_cancel([&](cancel_handle h) {
    auto reg = asyncctx::after_cancel([&] { ++runs; });
    h.cancel();
    EXPECT_FALSE(reg.unregister());
  });
  EXPECT_EQ(runs, 1);
}

TEST(AfterCancel, RunsAtOnceInAnAlreadyCancelledContext) {
  int runs = 0;
  asyncctx::with_timeout(0s, [&] {
    auto reg = asyncctx::after_cancel([&] { ++runs; });
    EXPECT_EQ(runs, 1);
    EXPECT_FALSE(reg.unregister());
  });
}

TEST(AfterCancel, ADescendantsCallbackRunsWhenAnAncestorIsCancelled) {
  int runs = 0;
  asyncctx::with_cancel([&](cancel_handle h) {
    asyncctx::after_cancel_handle reg;
    asyncctx::snapshot keep;
    asyncctx::with_cancel([&] {
      asyncctx::with_timeout(1h, [&] {
        keep = asyncctx::snapshot();
        reg = asyncctx::after_cancel([&] { ++runs; });
      });
    });
    h.cancel();
  });
  EXPECT_EQ(runs, 1);
}

TEST(AfterCancel, NeverRunsWhereNothingCanCancel) {
  int runs = 0;
  auto reg = asyncctx::after_cancel([&] { ++runs; });
  EXPECT_TRUE(reg.unregister());
  EXPECT_EQ(runs, 0);
}

TEST(AfterCancel, AnEmptyFunctionThrowsInvalidArgument) {
  asyncctx::with_cancel(
      [] { EXPECT_THROW((void)asyncctx::after_cancel(std::function<void()>()), std::invalid_argument); });
}

TEST(AfterCancel, AThrowingCallbackGoesToTheErrorChannelAndTheOthersStillRun) {
  std::vector<asyncctx::error_kind> reported;
  auto previous = asyncctx::set_error_handler([&](const asyncctx::error_report& r) { reported.push_back(r.kind); });
  int runs = 0;
  asyncctx::with_cancel([&](cancel_handle h) {
    auto a = asyncctx::after_cancel([&] { ++runs; });
    auto b = asyncctx::after_cancel([&] { throw std::runtime_error("boom"); });
    auto c = asyncctx::after_cancel([&] { ++runs; });
    EXPECT_NO_THROW(h.cancel());
  });
  asyncctx::set_error_handler(previous);
  EXPECT_EQ(runs, 2);
  ASSERT_EQ(reported.size(), 1U);
  EXPECT_EQ(reported[0], asyncctx::error_kind::cancel_callback);
  EXPECT_EQ(asyncctx::to_string(asyncctx::error_kind::cancel_callback), "cancel_callback");
}

TEST(AfterCancel, ACallbackDoesNotKeepItsContextAlive) {
  // The registration holds the context without its cancellation state: when the last
  // reference to the context goes, the node, the callback and the timer entry go with it.
  const std::size_t before = asyncctx::detail::deadline_timer_entries();
  bool destroyed_unrun = false;
  struct flag_on_destroy {
    bool* flag;
    explicit flag_on_destroy(bool* f) : flag(f) {}
    flag_on_destroy(flag_on_destroy&& o) noexcept : flag(std::exchange(o.flag, nullptr)) {}
    ~flag_on_destroy() {
      if (flag != nullptr) *flag = true;
    }
  };
  asyncctx::with_timeout(1h, [&] {
    EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before + 1);
    auto reg = asyncctx::after_cancel([guard = flag_on_destroy(&destroyed_unrun)] { ADD_FAILURE(); });
  });
  EXPECT_TRUE(destroyed_unrun);
  EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before);
}

TEST(DeadlineTimer, AnEntryIsReleasedWhenItsContextCompletesOrIsCancelled) {
  const std::size_t before = asyncctx::detail::deadline_timer_entries();
  asyncctx::with_timeout(1h, [&] { EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before + 1); });
  EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before);
  asyncctx::snapshot keep;
  asyncctx::with_timeout(1h, [&](cancel_handle h) {
    keep = asyncctx::snapshot();
    h.cancel();
    EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before);
  });
  // No entry for a deadline later than the parent's: the parent's cancels it.
  asyncctx::with_timeout(1s, [&] {
    asyncctx::with_timeout(1h, [&] { EXPECT_EQ(asyncctx::detail::deadline_timer_entries(), before + 1); });
  });
}

TEST(CancelHandle, ReportsItsContextsStateAndAnEmptyHandleDoesNothing) {
  cancel_handle empty;
  EXPECT_FALSE(empty);
  empty.cancel();
  EXPECT_FALSE(empty.cancelled());
  asyncctx::with_timeout(1h, [](cancel_handle h) {
    EXPECT_TRUE(h);
    EXPECT_EQ(h.deadline(), asyncctx::current_deadline());
    EXPECT_FALSE(h.cancelled());
    h.cancel();
    EXPECT_TRUE(h.cancelled());
    EXPECT_EQ(h.cause(), cancel_errc::cancelled);
  });
}

}  // namespace
