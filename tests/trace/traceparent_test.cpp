// W3C Trace Context Level 2, `traceparent`: one test per rule of the specification.
#include <asyncctx/trace/traceparent.hpp>

#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <cstdio>
#include <random>
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

// The ids' hex codec works 16 characters at a time where the target allows it: every byte
// value at every position must still be judged one by one.
TEST(TraceIdHex, EveryCharacterThatIsNotALowercaseHexDigitIsRejectedAtEveryPosition) {
  const std::string valid_id = "0af7651916cd43dd8448eb211c80319c";
  for (std::size_t pos = 0; pos < valid_id.size(); ++pos) {
    for (int c = 0; c < 256; ++c) {
      std::string hex = valid_id;
      hex[pos] = static_cast<char>(c);
      const bool is_digit = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
      const auto id = asyncctx::trace::trace_id::from_hex(hex);
      ASSERT_EQ(id.has_value(), is_digit) << "position " << pos << ", byte " << c;
      if (id) {
        ASSERT_EQ(id->to_hex(), hex);
      }
    }
  }
  for (std::size_t pos = 0; pos < 16; ++pos)
    EXPECT_FALSE(asyncctx::trace::span_id::from_hex(std::string(16, 'a').replace(pos, 1, "G")));
}

TEST(TraceIdHex, IdsRoundTripThroughTheirHexForm) {
  std::mt19937_64 random(7);
  for (int i = 0; i < 20000; ++i) {
    asyncctx::trace::trace_id t;
    asyncctx::trace::span_id s;
    for (auto& b : t.bytes) b = static_cast<std::uint8_t>(random());
    for (auto& b : s.bytes) b = static_cast<std::uint8_t>(random());
    std::string expected;
    char pair[3];
    for (const std::uint8_t b : t.bytes) {
      std::snprintf(pair, sizeof pair, "%02x", b);
      expected += pair;
    }
    ASSERT_EQ(t.to_hex(), expected);
    ASSERT_EQ(asyncctx::trace::trace_id::from_hex(expected), t);
    ASSERT_EQ(asyncctx::trace::span_id::from_hex(s.to_hex()), s);
  }
}

TEST(TraceIdHex, TheCodecIsUsableInConstantExpressions) {
  constexpr auto id = asyncctx::trace::span_id::from_hex("b7ad6b7169203331");
  static_assert(id.has_value() && id->bytes[0] == 0xb7 && id->bytes[7] == 0x31);
  static_assert(!asyncctx::trace::span_id::from_hex("b7ad6b716920333G"));
  constexpr auto hex = [] {
    std::array<char, 16> out{};
    asyncctx::trace::span_id::from_hex("b7ad6b7169203331")->to_hex(out.data());
    return out;
  }();
  static_assert(hex[0] == 'b' && hex[15] == '1');
  SUCCEED();
}

}  // namespace
