// Test main shared by every suite: after each test, no context frame may be alive (when the
// build counts them) and the test thread must be back in the empty context.
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <thread>

namespace {

class live_context_check : public ::testing::EmptyTestEventListener {
  void OnTestEnd(const ::testing::TestInfo& info) override {
    EXPECT_EQ(asyncctx::detail::current_frame(), nullptr)
        << info.test_suite_name() << "." << info.name() << " left a context on the test thread";
    if constexpr (asyncctx::detail::counts_live_frames) {
      // Other threads of the test may still be releasing their last reference: give them a
      // moment, then insist.
      for (int i = 0; i < 200 && asyncctx::detail::live_frames() != 0; ++i) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
      EXPECT_EQ(asyncctx::detail::live_frames(), 0)
          << info.test_suite_name() << "." << info.name() << " leaked context frames";
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  ::testing::UnitTest::GetInstance()->listeners().Append(new live_context_check);
  return RUN_ALL_TESTS();
}
