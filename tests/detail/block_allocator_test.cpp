// The per-thread block cache: on in every build, sanitized ones included, and still
// reporting a use after free of a cached block under AddressSanitizer.
#include <asyncctx/detail/block_allocator.hpp>

#include <gtest/gtest.h>

#include <cstddef>

namespace {

using asyncctx::detail::allocate_block;
using asyncctx::detail::free_block;

constexpr std::size_t size = 72;
constexpr std::size_t align = alignof(std::max_align_t);

TEST(BlockAllocator, AFreedBlockIsHandedBackLastInFirstOut) {
  void* first = allocate_block(size, align);
  free_block(first, size, align);
  void* again = allocate_block(size, align);
  EXPECT_EQ(again, first) << "the cache is on in this build too";
  free_block(again, size, align);
}

#if defined(ASYNCCTX_ASAN)
constexpr bool asan = true;
#else
constexpr bool asan = false;
#endif

TEST(BlockAllocatorDeathTest, UseAfterFreeOfACachedBlockIsReportedUnderAsan) {
  if (!asan) GTEST_SKIP() << "AddressSanitizer is off in this build";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* p = static_cast<volatile char*>(allocate_block(size, align));
        free_block(const_cast<char*>(p), size, align);
        (void)p[8];  // the block waits in the cache, poisoned
      },
      "use-after-poison");
}

TEST(BlockAllocatorDeathTest, OverflowIntoTheRestOfTheSizeClassIsReportedUnderAsan) {
  if (!asan) GTEST_SKIP() << "AddressSanitizer is off in this build";
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(
      {
        auto* p = static_cast<volatile char*>(allocate_block(size, align));
        p[size] = 1;  // past the size asked for, inside the 128-byte class
      },
      "use-after-poison");
}

}  // namespace
