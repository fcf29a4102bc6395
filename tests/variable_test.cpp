#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

namespace {

TEST(Variable, GetAfterRunReturnsTheOuterValue) {
  asyncctx::variable<int> v;
  EXPECT_EQ(v.get(), nullptr);
  v.run(1, [&] {
    EXPECT_EQ(*v.get(), 1);
    v.run(2, [&] { EXPECT_EQ(*v.get(), 2); });
    EXPECT_EQ(*v.get(), 1);
  });
  EXPECT_EQ(v.get(), nullptr);
}

}  // namespace
