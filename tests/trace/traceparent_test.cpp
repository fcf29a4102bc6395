// W3C Trace Context Level 2, `traceparent`: one test per rule of the specification.
#include <asyncctx/trace/traceparent.hpp>

#include <gtest/gtest.h>

#include <string>

namespace {

using asyncctx::trace::format_traceparent;
using asyncctx::trace::parse_traceparent;

constexpr const char* valid = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

TEST(Traceparent, AValidVersion00HeaderGivesTraceIdParentIdAndFlags) {
  const auto tp = parse_traceparent(valid);
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->trace.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  EXPECT_EQ(tp->parent.to_hex(), "b7ad6b7169203331");
  EXPECT_EQ(tp->flags, 0x01);
}

TEST(Traceparent, UppercaseHexIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-B7AD6B7169203331-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0A"));
  EXPECT_FALSE(parse_traceparent("0A-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

TEST(Traceparent, VersionFfIsInvalid) {
  EXPECT_FALSE(parse_traceparent("ff-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

TEST(Traceparent, VersionWithIllegalCharactersOrWrongLengthIsInvalid) {
  EXPECT_FALSE(parse_traceparent(".0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("0.-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("000-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("0-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
}

TEST(Traceparent, AllZeroTraceIdIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-00000000000000000000000000000000-b7ad6b7169203331-01"));
}

TEST(Traceparent, AllZeroParentIdIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-0000000000000000-01"));
}

TEST(Traceparent, TraceIdOfWrongLengthOrCharactersIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c1-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("00-.af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319.-b7ad6b7169203331-01"));
}

TEST(Traceparent, ParentIdOfWrongLengthOrCharactersIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b716920333-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b71692033311-01"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-.7ad6b7169203331-01"));
}

TEST(Traceparent, FlagsOfWrongLengthOrCharactersAreInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-001"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-.0"));
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-0."));
}

TEST(Traceparent, Version00WithTrailingDataIsInvalid) {
  EXPECT_FALSE(parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01."));
  EXPECT_FALSE(
      parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-will-be-like"));
}

TEST(Traceparent, HigherVersionIsParsedLeniently) {
  const auto a = parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(a);
  EXPECT_EQ(a->trace.to_hex(), "0af7651916cd43dd8448eb211c80319c");
  const auto b =
      parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-what-the-future-will-be-like");
  ASSERT_TRUE(b);
  EXPECT_EQ(b->parent.to_hex(), "b7ad6b7169203331");
}

TEST(Traceparent, HigherVersionMustHaveADashOrTheEndAfterTheFlags) {
  EXPECT_FALSE(
      parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01.what-the-future-will-be-like"));
}

TEST(Traceparent, HigherVersionShorterThan55CharactersIsInvalid) {
  EXPECT_FALSE(parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-1"));
}

TEST(Traceparent, SurroundingSpacesAndTabsAreIgnored) {
  EXPECT_TRUE(parse_traceparent(" \t00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01\t "));
}

TEST(Traceparent, TheRandomFlagIsKept) {
  const auto tp = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-03");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->flags, 0x03);
  EXPECT_EQ(format_traceparent(tp->trace, tp->parent, tp->flags).substr(53), "03");
}

TEST(Traceparent, UnknownFlagsAreSetToZero) {
  const auto tp = parse_traceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff");
  ASSERT_TRUE(tp);
  EXPECT_EQ(tp->flags, 0x03);
  EXPECT_EQ(format_traceparent(tp->trace, tp->parent, 0xfd).substr(53), "01");
}

TEST(Traceparent, FormatWritesVersion00InLowercase) {
  const auto tp = parse_traceparent("cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-x");
  ASSERT_TRUE(tp);
  EXPECT_EQ(format_traceparent(tp->trace, tp->parent, tp->flags), valid);
}

TEST(Traceparent, EmptyAndGarbageInputIsInvalid) {
  EXPECT_FALSE(parse_traceparent(""));
  EXPECT_FALSE(parse_traceparent(std::string(55, '-')));
  EXPECT_FALSE(parse_traceparent(std::string(200, 'a')));
}

}  // namespace
