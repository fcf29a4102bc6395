// detail::execution_state: the one owner of a thread's state, its protocol checks, and the
// process-unique numbers it hands out.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/variable.hpp>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <set>
#include <thread>
#include <vector>

#include "../support/misuse_recorder.hpp"

namespace {

using asyncctx::detail::execution_state;
using asyncctx::detail::frame;
using asyncctx_test::misuse_recorder;
using ::testing::HasSubstr;

TEST(ExecutionState, ANewThreadStartsAtTopLevel) {
  std::thread([] {
    execution_state& s = execution_state::here();
    EXPECT_EQ(s.context(), nullptr);
    EXPECT_EQ(s.running_task(), nullptr);
    EXPECT_EQ(s.thread_spare(), nullptr);
    EXPECT_EQ(s.execution_id(), 1U);
    EXPECT_EQ(s.trigger_id(), 0U);
    EXPECT_EQ(s.unwind_epoch(), 0U);
  }).join();
}

TEST(ExecutionState, InstallHandsBackWhatWasThereAndPutBackWhatWasInstalled) {
  asyncctx::variable<int> v;
  v.run(1, [&] {
    execution_state& s = execution_state::here();
    frame* outer = s.context();
    frame* inner = nullptr;
    v.run(2, [&] { inner = asyncctx::detail::capture_current(); });
    frame* previous = s.install(inner);
    EXPECT_EQ(previous, outer);
    EXPECT_EQ(*v.get(), 2);
    frame* was = s.put_back(previous);
    EXPECT_EQ(was, inner);
    EXPECT_EQ(*v.get(), 1);
    asyncctx::detail::release(was);
  });
}

TEST(ExecutionState, EnterAndLeaveMoveTheWholeExecution) {
  execution_state& s = execution_state::here();
  const asyncctx::detail::execution previous = s.enter({nullptr, nullptr, 77, 66});
  EXPECT_EQ(asyncctx::execution_async_id(), 77U);
  EXPECT_EQ(asyncctx::trigger_async_id(), 66U);
  EXPECT_EQ(s.leave(previous), nullptr);
  EXPECT_EQ(asyncctx::execution_async_id(), 1U);
  EXPECT_EQ(asyncctx::trigger_async_id(), 0U);
}

TEST(ExecutionState, PutBackWithoutInstallIsReportedNamingTheCall) {
  if (!ASYNCCTX_CHECK_STATE_PROTOCOL) GTEST_SKIP() << "protocol checks are off in this build (NDEBUG)";
  misuse_recorder recorder;
  execution_state& s = execution_state::here();
  EXPECT_EQ(s.put_back(nullptr), nullptr);
  const auto messages = misuse_recorder::taken();
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_THAT(messages[0], HasSubstr("execution_state::put_back"));
}

TEST(ExecutionState, LeaveOnAnotherThreadThanItsEnterIsReportedNamingTheCall) {
  if (!ASYNCCTX_CHECK_STATE_PROTOCOL) GTEST_SKIP() << "protocol checks are off in this build (NDEBUG)";
  misuse_recorder recorder;
  execution_state& s = execution_state::here();
  const asyncctx::detail::execution previous = s.enter({nullptr, nullptr, 5, 4});
  std::thread([&] { execution_state::here().leave(previous); }).join();
  s.leave(previous);  // the real end of the region: not reported
  const auto messages = misuse_recorder::taken();
  ASSERT_EQ(messages.size(), 1U);
  EXPECT_THAT(messages[0], HasSubstr("execution_state::leave"));
}

// `per_thread` numbers from `take` on each of 4 threads at once, all together.
template <class Take>
std::set<std::uint64_t> take_on_four_threads(int per_thread, Take take) {
  constexpr int threads = 4;
  std::vector<std::vector<std::uint64_t>> taken(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) taken[t].push_back(take(execution_state::here()));
    });
  }
  for (auto& w : workers) w.join();
  std::set<std::uint64_t> all;
  for (const auto& v : taken) all.insert(v.begin(), v.end());
  return all;
}

TEST(ExecutionState, StampsAreUniqueAcrossThreadsAndNeverZero) {
  const auto all = take_on_four_threads(5000, [](execution_state& s) { return s.new_stamp(); });
  EXPECT_EQ(all.size(), 4U * 5000U);
  EXPECT_EQ(all.count(0), 0U);
}

TEST(ExecutionState, AsyncIdsAreUniqueAcrossThreadsAndAboveTheTopLevel) {
  const auto all = take_on_four_threads(5000, [](execution_state& s) { return s.new_async_id(); });
  EXPECT_EQ(all.size(), 4U * 5000U);
  EXPECT_GT(*all.begin(), 1U);
}

}  // namespace
