// W3C Trace Context Level 2, `tracestate`: one test per rule of the specification.
#include <asyncctx/trace/trace_state.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using asyncctx::trace::trace_state;

std::optional<trace_state> parse(std::vector<std::string_view> headers, std::size_t max = 512) {
  return trace_state::parse(std::span<const std::string_view>(headers), max);
}

TEST(TraceState, KeysAndValuesAreKeptInOrder) {
  const auto ts = parse({"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"});
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), "rojo=00f067aa0ba902b7,congo=t61rcWkgMzE");
  EXPECT_EQ(ts->size(), 2u);
  EXPECT_EQ(ts->get("congo"), "t61rcWkgMzE");
}

TEST(TraceState, SeveralHeadersAreCombinedInOrder) {
  const auto ts = parse({"foo=1,bar=2", "rojo=1,congo=2", "baz=3"});
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->header(), "foo=1,bar=2,rojo=1,congo=2,baz=3");
}

TEST(TraceState, EmptyHeadersAndEmptyMembersAreAccepted) {
  EXPECT_EQ(parse({""})->header(), "");
  EXPECT_EQ(parse({"foo=1", ""})->header(), "foo=1");
  EXPECT_EQ(parse({"", "foo=1"})->header(), "foo=1");
  EXPECT_EQ(parse({"foo=1, ,,\t,bar=2"})->header(), "foo=1,bar=2");
}

TEST(TraceState, WhitespaceAroundMembersIsIgnored) {
  EXPECT_EQ(parse({"foo=1 \t , \t bar=2, \t baz=3"})->header(), "foo=1,bar=2,baz=3");
  EXPECT_EQ(parse({"\t foo=1 \t"})->header(), "foo=1");
}

TEST(TraceState, LeadingSpacesOfAValueArePartOfIt) { EXPECT_EQ(parse({"foo= 1"})->get("foo"), " 1"); }

TEST(TraceState, AtMost32MembersAreAccepted) {
  std::string list;
  for (int i = 1; i <= 32; ++i) list += (i > 1 ? "," : "") + std::string("bar") + std::to_string(i) + "=1";
  ASSERT_TRUE(parse({list}));
  EXPECT_EQ(parse({list})->size(), 32u);
  EXPECT_FALSE(parse({list, "bar33=1"})) << "33 members: the whole tracestate is invalid";
}

TEST(TraceState, DuplicateKeysMakeItInvalid) {
  EXPECT_FALSE(parse({"foo=1,foo=1"}));
  EXPECT_FALSE(parse({"foo=1,foo=2"}));
  EXPECT_FALSE(parse({"foo=1", "foo=2"}));
}

TEST(TraceState, KeyGrammarIsEnforced) {
  EXPECT_FALSE(parse({"foo =1"}));
  EXPECT_FALSE(parse({"FOO=1"}));
  EXPECT_FALSE(parse({"foo.bar=1"}));
  EXPECT_FALSE(parse({"1foo=1"})) << "a simple key starts with a lowercase letter";
  EXPECT_FALSE(parse({"=1"}));
  EXPECT_TRUE(parse({"abcdefghijklmnopqrstuvwxyz0123456789_-*/=1"}));
}

TEST(TraceState, MultiTenantKeyGrammarIsEnforced) {
  EXPECT_TRUE(parse({"1tenant@vendor=1"}));
  EXPECT_FALSE(parse({"foo@=1,bar=2"}));
  EXPECT_FALSE(parse({"@foo=1,bar=2"}));
  EXPECT_FALSE(parse({"foo@@bar=1,bar=2"}));
  EXPECT_FALSE(parse({"foo@bar@baz=1,bar=2"}));
  EXPECT_FALSE(parse({"foo@1bar=1"})) << "a system id starts with a lowercase letter";
}

TEST(TraceState, KeyLengthLimits) {
  EXPECT_TRUE(parse({"foo=1", std::string(256, 'z') + "=1"}));
  EXPECT_FALSE(parse({"foo=1", std::string(257, 'z') + "=1"}));
  EXPECT_TRUE(parse({"foo=1", std::string(241, 't') + "@" + std::string(14, 'v') + "=1"}, 1024));
  EXPECT_FALSE(parse({"foo=1", std::string(242, 't') + "@v=1"}));
  EXPECT_FALSE(parse({"foo=1", "t@" + std::string(15, 'v') + "=1"}));
}

TEST(TraceState, ValueGrammarIsEnforced) {
  EXPECT_FALSE(parse({"foo=bar=baz"}));
  EXPECT_FALSE(parse({"foo="}));
  EXPECT_FALSE(parse({"foo=\x7f"}));
  EXPECT_FALSE(parse({"foo=a\tb"}));
  EXPECT_TRUE(parse({std::string("foo=") + std::string(256, 'v')}, 1024));
  EXPECT_FALSE(parse({std::string("foo=") + std::string(257, 'v')}, 1024));
}

TEST(TraceState, AllAllowedCharactersAreKept) {
  std::string value;
  for (int c = 0x20; c <= 0x7e; ++c)
    if (c != ',' && c != '=') value += static_cast<char>(c);
  const auto ts = parse({"foo=" + value});
  ASSERT_TRUE(ts);
  EXPECT_EQ(ts->get("foo"), value);
}

TEST(TraceState, AtLeast512CharactersArePropagated) {
  std::string list;
  for (int i = 0; i < 8; ++i)
    list += (i ? "," : "") + std::string("k") + std::to_string(i) + "=" + std::string(i < 7 ? 60 : 61, 'v');
  ASSERT_EQ(list.size(), 512u);
  ASSERT_TRUE(parse({list}));
  EXPECT_EQ(parse({list})->header(), list);
}

TEST(TraceState, TruncationRemovesEntriesOver128CharactersFirst) {
  const std::string big = "big=" + std::string(200, 'x');
  std::string small;
  for (int i = 0; i < 10; ++i) small += std::string(",s") + std::to_string(i) + "=" + std::string(30, 'y');
  const auto ts = parse({big + small});
  ASSERT_TRUE(ts);
  EXPECT_FALSE(ts->get("big"));
  EXPECT_EQ(ts->header(), small.substr(1)) << "everything else fits once the large entry is gone";
}

TEST(TraceState, TruncationThenRemovesEntriesFromTheEnd) {
  std::string list;
  for (int i = 0; i < 20; ++i)
    list += (i ? "," : "") + std::string("k") + std::to_string(i) + "=" + std::string(40, 'v');
  const auto ts = parse({list});
  ASSERT_TRUE(ts);
  EXPECT_LE(ts->header().size(), 512u);
  EXPECT_TRUE(ts->get("k0"));
  EXPECT_FALSE(ts->get("k19"));
  EXPECT_EQ(list.substr(0, ts->header().size()), ts->header()) << "whole entries, from the end";
  EXPECT_EQ(list[ts->header().size()], ',');
}

TEST(TraceState, SetMovesTheKeyToTheFront) {
  auto ts = *parse({"rojo=1,congo=2"});
  EXPECT_TRUE(ts.set("congo", "3"));
  EXPECT_EQ(ts.header(), "congo=3,rojo=1");
  EXPECT_TRUE(ts.set("new", "4"));
  EXPECT_EQ(ts.header(), "new=4,congo=3,rojo=1");
  EXPECT_FALSE(ts.set("Bad", "1"));
  EXPECT_FALSE(ts.set("ok", "a,b"));
  EXPECT_TRUE(ts.erase("congo"));
  EXPECT_EQ(ts.header(), "new=4,rojo=1");
}

}  // namespace
