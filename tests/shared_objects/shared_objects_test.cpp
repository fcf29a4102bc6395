// Two shared objects with hidden visibility, one context (see CMakeLists.txt here): what
// libctx_a.so binds, libctx_b.so sees, through tasks and threads; a's hook sees b's resource.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <utility>

#include "ctx_a.hpp"
#include "ctx_b.hpp"

namespace {

TEST(SharedObjects, BSeesTheValueABound) {
  int seen = 0;
  a_run(7, [&] { seen = b_read(a_variable()); });
  EXPECT_EQ(seen, 7) << "libctx_b.so read its own copy of the current context (-1: empty)";
  EXPECT_EQ(b_read(a_variable()), -1) << "the binding outlived a_run";
}

TEST(SharedObjects, TaskOfBCreatedInARunSeesAsValueWhenBRunsItOnAnotherThread) {
  auto t = a_task_in_run(8, [] { return b_read_task(a_variable()); });
  EXPECT_EQ(b_sync_wait_on_new_thread(std::move(t)), 8);
}

TEST(SharedObjects, TaskOfACreatedInARunReadsAsValueThroughBWhenBRunsItOnAnotherThread) {
  auto t = a_task_calling(9, &b_read);
  EXPECT_EQ(b_sync_wait_on_new_thread(std::move(t)), 9);
}

// The request variable is the library's, not an inline static of the header: a logger's
// request-field provider in one shared object sees the request the server bound in another.
TEST(SharedObjects, BSeesTheRequestABound) {
  std::string seen;
  a_run_in_request("req-a-1", [&] { seen = b_current_request_id(); });
  EXPECT_EQ(seen, "req-a-1") << "libctx_b.so read its own copy of the request variable";
  EXPECT_EQ(b_current_request_id(), "(none)");
}

TEST(SharedObjects, HookEnabledInASeesTheInitOfAResourceMadeInB) {
  a_start_recording_inits();
  const asyncctx::async_id id = b_make_resource();
  a_stop_recording_inits();
  const auto inits = a_recorded_inits();
  const auto it = std::find_if(inits.begin(), inits.end(), [&](const auto& e) { return e.first == id; });
  const bool seen = it != inits.end();
  ASSERT_TRUE(seen) << "the hook of libctx_a.so saw " << inits.size()
                    << " init events, none for the resource libctx_b.so made (id " << id << ")";
  EXPECT_EQ(it->second, "CTX_B_RESOURCE");
}

}  // namespace
