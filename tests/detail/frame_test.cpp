#include <asyncctx/detail/frame.hpp>

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace asyncctx::detail {
namespace {

// Keys as new_key() makes them: multiples of key_step.
constexpr std::uint64_t k(std::uint64_t n) { return n * key_step; }

TEST(Frame, CapacityKeepsAnEmptySlotForEveryCount) {
  for (std::uint32_t n = 1; n < 2000; ++n) {
    const std::uint32_t cap = capacity_for(n);
    EXPECT_LT(n, cap);
    EXPECT_LE(n * 4, cap * 3);
    EXPECT_EQ(cap & (cap - 1), 0U) << "capacity must be a power of two";
  }
}

TEST(Frame, BindingBuildsANewFrameAndLeavesTheOldOneUntouched) {
  frame* a = frame_with_value<int>(nullptr, k(11), 1);
  frame* b = frame_with_value<int>(a, k(12), 2);
  frame* c = frame_with_value<int>(b, k(11), 3);
  ASSERT_NE(a->find(k(11)), nullptr);
  EXPECT_EQ(a->find(k(12)), nullptr);
  EXPECT_EQ(box_value<int>(a->find(k(11))->box), 1);
  EXPECT_EQ(box_value<int>(b->find(k(11))->box), 1);
  EXPECT_EQ(box_value<int>(b->find(k(12))->box), 2);
  EXPECT_EQ(box_value<int>(c->find(k(11))->box), 3);
  EXPECT_EQ(box_value<int>(c->find(k(12))->box), 2);
  EXPECT_EQ(c->count, 2U);
  release(a);
  release(b);
  EXPECT_EQ(box_value<int>(c->find(k(12))->box), 2) << "c keeps the value it shares with b";
  release(c);
}

TEST(Frame, ManyKeysWithCollidingLowBitsAreAllFound) {
  frame* f = nullptr;
  std::vector<std::uint64_t> keys;
  for (std::uint64_t i = 1; i <= 300; ++i) keys.push_back(k(i * 1024));  // same low bits
  for (auto k : keys) {
    frame* next = frame_with_value<std::string>(f, k, std::to_string(k));
    release(f);
    f = next;
  }
  for (auto k : keys) {
    const entry* e = f->find(k);
    ASSERT_NE(e, nullptr) << k;
    EXPECT_EQ(box_value<std::string>(e->box), std::to_string(k));
  }
  EXPECT_EQ(f->find(k(7)), nullptr);
  frame* g = frame_without(f, keys[5]);
  EXPECT_EQ(g->find(keys[5]), nullptr);
  EXPECT_NE(g->find(keys[6]), nullptr);
  EXPECT_EQ(g->count, 299U);
  release(f);
  release(g);
}

TEST(Frame, RemovingTheLastKeyGivesTheEmptyContext) {
  frame* f = frame_with_value<int>(nullptr, k(5), 1);
  EXPECT_EQ(frame_without(f, k(5)), nullptr);
  release(f);
}

struct alignas(64) over_aligned {
  int v;
};

TEST(Frame, OverAlignedValuesAreAligned) {
  frame* f = frame_with_value<over_aligned>(nullptr, k(3), over_aligned{9});
  const auto& v = box_value<over_aligned>(f->find(k(3))->box);
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(&v) % 64, 0U);
  EXPECT_EQ(v.v, 9);
  release(f);
}

}  // namespace
}  // namespace asyncctx::detail
