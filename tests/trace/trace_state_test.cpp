// W3C Trace Context Level 2, `tracestate`: one test per rule of the specification.
#include <asyncctx/trace/trace_state.hpp>

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <regex>
#include <string>
#include <string_view>
#include <utility>
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

// A list of up to inline_capacity characters lives in the object; a longer one on the heap.
// Copies, moves and assignments between the two kinds keep the list (ASan checks the memory).
TEST(TraceState, CopiesAndMovesKeepTheListWhateverItsLength) {
  const auto make = [](std::size_t length) {  // members "kN=vvv…" of at most 104 characters
    std::string list;
    for (int i = 0; list.size() < length; ++i) {
      std::string member = (list.empty() ? "k" : ",k") + std::to_string(i) + "=";
      member.append(std::min<std::size_t>(length - list.size() - member.size(), 100), 'v');
      list += member;
    }
    auto ts = parse({list});
    EXPECT_TRUE(ts);
    EXPECT_EQ(ts->header(), list);
    return *ts;
  };
  const std::size_t lengths[] = {4, trace_state::inline_capacity, trace_state::inline_capacity + 1, 300};
  for (const std::size_t a : lengths) {
    for (const std::size_t b : lengths) {
      const trace_state x = make(a);
      const trace_state y = make(b);
      trace_state copy = x;
      EXPECT_EQ(copy, x);
      copy = y;
      EXPECT_EQ(copy, y);
      trace_state moved = std::move(copy);
      EXPECT_EQ(moved, y);
      EXPECT_TRUE(copy.empty());  // NOLINT(bugprone-use-after-move): a moved-from list is empty
      moved = x;
      EXPECT_EQ(moved, x);
      trace_state target = y;
      target = std::move(moved);
      EXPECT_EQ(target, x);
      auto& self = target;
      target = self;
      EXPECT_EQ(target, x);
      EXPECT_TRUE(target.set("new", "1"));
      EXPECT_EQ(target.get("new"), "1");
      EXPECT_EQ(target.header().substr(6), x.header());
    }
  }
}

// The parser scans a list in one pass, 8 value characters at a time. Against a plain reading
// of the grammar (split at ',', trim, std::regex per key and value), it must accept the same
// lists and keep the same members, on many generated lists, valid or nearly so.
TEST(TraceState, ParsingAgreesWithAPlainReadingOfTheGrammar) {
  const std::regex key_rx(R"([a-z][a-z0-9_*/-]{0,255}|[a-z0-9][a-z0-9_*/-]{0,240}@[a-z][a-z0-9_*/-]{0,13})");
  const std::regex value_rx("[\\x20-\\x2b\\x2d-\\x3c\\x3e-\\x7e]{0,255}[\\x21-\\x2b\\x2d-\\x3c\\x3e-\\x7e]");
  const auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
  };
  // nullopt when invalid; else the members, in order (the lists here are short: no truncation).
  const auto reference = [&](std::string_view list) -> std::optional<std::vector<std::string>> {
    std::vector<std::string> members, keys;
    while (true) {
      const std::size_t comma = list.find(',');
      const std::string_view m = trim(list.substr(0, comma));
      if (!m.empty()) {
        const std::size_t eq = m.find('=');
        if (eq == std::string_view::npos) return std::nullopt;
        const std::string key(m.substr(0, eq)), value(m.substr(eq + 1));
        if (!std::regex_match(key, key_rx) || !std::regex_match(value, value_rx)) return std::nullopt;
        for (const auto& k : keys)
          if (k == key) return std::nullopt;
        keys.push_back(key);
        members.emplace_back(m);
      }
      if (comma == std::string_view::npos) break;
      list.remove_prefix(comma + 1);
    }
    if (members.size() > trace_state::max_members) return std::nullopt;
    return members;
  };
  // Pieces that exercise every branch: keys of both forms, values with spaces, tabs, '=', ','
  // and bytes outside the allowed range, empty members and whitespace around them.
  const std::vector<std::string> keys = {"a",
                                         "rojo",
                                         "congo",
                                         "x1_-*/",
                                         "t@s",
                                         "9t@sys",
                                         "a@b",
                                         "A",
                                         "1a",
                                         "a@",
                                         "@b",
                                         "a@B",
                                         "a b",
                                         "",
                                         "a@b@c",
                                         std::string(256, 'k'),
                                         std::string(257, 'k'),
                                         std::string(241, 't') + "@s",
                                         std::string(242, 't') + "@s",
                                         "t@" + std::string(14, 's'),
                                         "t@" + std::string(15, 's')};
  const std::vector<std::string> values = {"1", "00f067aa0ba902b7", "t61rcWkgMzE", " lead", "in side", "tail ", "tab\t",
                                           "in\tside", "a=b", "~!\"#$%&'()*+-./:;<>?@[\\]^_`{|}", "\x7f", "\x80x", "",
                                           " ", std::string(256, 'v'), std::string(257, 'v'), "12345678abcdefgh,",
                                           // 8 or more characters, so the word-at-a-time check judges them
                                           "abcdefg=hijklmno", "a value with spaces", "0123456\t89abcdef",
                                           "abcdefgh\x7fijk",
                                           "abcd\x01"
                                           "efghijkl",
                                           "abc\xff"
                                           "defghijklm",
                                           "abcdefghijklmno "};
  const std::vector<std::string> gaps = {",", ", ", " ,", ",\t", ",,", " , ,"};
  std::mt19937 random(11);
  const auto pick = [&](const std::vector<std::string>& from) { return from[random() % from.size()]; };
  int accepted = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string list = random() % 4 == 0 ? " " : "";
    const int n = static_cast<int>(random() % 5);
    for (int m = 0; m < n; ++m) {
      if (m != 0) list += pick(gaps);
      list += (random() % 3 == 0 ? pick(keys) : "k" + std::to_string(random() % 6)) + "=" + pick(values);
    }
    if (random() % 4 == 0) list += "\t";
    const auto expected = reference(list);
    const auto got = trace_state::parse(list, 1u << 20);
    ASSERT_EQ(got.has_value(), expected.has_value()) << "list: \"" << list << '"';
    if (!got) continue;
    ++accepted;
    std::string joined;
    for (const auto& m : *expected) joined += (joined.empty() ? "" : ",") + m;
    ASSERT_EQ(got->header(), joined) << "list: \"" << list << '"';
  }
  EXPECT_GT(accepted, 2000) << "the generator must make valid lists too";
  EXPECT_LT(accepted, 18000) << "and invalid ones";
}

}  // namespace
