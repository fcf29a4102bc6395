// Which coroutine completion protocol this build runs (include/asyncctx/detail/
// symmetric_transfer.hpp), checked against the protocol the build claims
// (ASYNCCTX_TEST_EXPECT_SYMMETRIC_TRANSFER, from ASYNCCTX_TEST_EXPECT_PROTOCOL in
// tests/CMakeLists.txt). Compiled into task_test, so the 1,000,000-await constant-stack test
// there (Task.MillionSynchronousAwaitsUseConstantStack) is known to have exercised that
// protocol: a sanitizer build that silently fell back would otherwise pass it too.
#include <asyncctx/task.hpp>

#include <gtest/gtest.h>

#include <cstdio>

#if !defined(ASYNCCTX_SYMMETRIC_TRANSFER)
#error "asyncctx/task.hpp did not define ASYNCCTX_SYMMETRIC_TRANSFER"
#endif

#if defined(ASYNCCTX_TEST_EXPECT_SYMMETRIC_TRANSFER)
static_assert(ASYNCCTX_SYMMETRIC_TRANSFER == ASYNCCTX_TEST_EXPECT_SYMMETRIC_TRANSFER,
              "this build claims one coroutine completion protocol and the headers picked the other");
#endif

namespace {

const char* protocol_name(int symmetric) { return symmetric ? "symmetric transfer" : "fallback (no tail call needed)"; }

TEST(Protocol, BuildRunsTheCompletionProtocolItClaims) {
  std::printf("asyncctx: ASYNCCTX_SYMMETRIC_TRANSFER=%d, %s\n", ASYNCCTX_SYMMETRIC_TRANSFER,
              protocol_name(ASYNCCTX_SYMMETRIC_TRANSFER));
  RecordProperty("symmetric_transfer", ASYNCCTX_SYMMETRIC_TRANSFER);
#if defined(ASYNCCTX_TEST_EXPECT_SYMMETRIC_TRANSFER)
  // The static_assert above already refused to compile any other protocol.
  std::printf("asyncctx: as this build claims\n");
#else
  std::printf("asyncctx: this build claims no protocol (ASYNCCTX_TEST_EXPECT_PROTOCOL is empty)\n");
#endif
}

}  // namespace
