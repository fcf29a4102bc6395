// W3C Baggage: one test per rule of the specification, and the current baggage variable.
#include <asyncctx/trace/baggage.hpp>

#include <gtest/gtest.h>

#include <string>
#include <string_view>
#include <vector>

namespace {

using asyncctx::trace::baggage;

TEST(Baggage, MembersAreParsedInOrder) {
  const baggage b = baggage::parse("userId=alice,serverNode=DF%2028,isProduction=false");
  ASSERT_EQ(b.size(), 3u);
  EXPECT_EQ(b.entries()[0].key, "userId");
  EXPECT_EQ(*b.get("serverNode"), "DF 28");
  EXPECT_EQ(*b.get("isProduction"), "false");
}

TEST(Baggage, ValuesArePercentDecodedAndEncodedBack) {
  const baggage b = baggage::parse("k=%E2%9C%93%20a%2Cb%3Bc%25");
  EXPECT_EQ(*b.get("k"), "\xE2\x9C\x93 a,b;c%");
  EXPECT_EQ(b.to_header(), "k=%E2%9C%93%20a%2Cb%3Bc%25");
  EXPECT_EQ(baggage::parse(b.to_header()), b);
}

TEST(Baggage, InvalidPercentEncodingDropsTheMember) {
  const baggage b = baggage::parse("a=%zz,b=%4,c=ok");
  EXPECT_EQ(b.size(), 1u);
  EXPECT_EQ(*b.get("c"), "ok");
}

TEST(Baggage, WhitespaceAroundKeysValuesAndPropertiesIsTrimmed) {
  const baggage b = baggage::parse(" key1 = value1 ; p1 ; p2 = v2 ,\tkey2\t=\tvalue2");
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b.entries()[0].key, "key1");
  EXPECT_EQ(b.entries()[0].value, "value1");
  EXPECT_EQ(b.entries()[0].metadata, "p1;p2=v2");
  EXPECT_EQ(*b.get("key2"), "value2");
}

TEST(Baggage, PropertiesArePropagated) {
  const baggage b = baggage::parse("key1=value1;property1;property2, key3=value3; propertyKey=propertyValue");
  EXPECT_EQ(b.to_header(), "key1=value1;property1;property2,key3=value3;propertyKey=propertyValue");
}

TEST(Baggage, ValuesMayContainEqualSigns) { EXPECT_EQ(*baggage::parse("k=a=b==").get("k"), "a=b=="); }

TEST(Baggage, SeveralHeadersAreOneList) {
  const std::vector<std::string_view> headers{"userId=alice", "serverNode=DF%2028,isProduction=false"};
  EXPECT_EQ(baggage::parse(headers).size(), 3u);
}

TEST(Baggage, InvalidMembersAreRemovedAndTheOthersKept) {
  const baggage b = baggage::parse("good=1,bad key=2,=3,noequals,q=\"x\",also=ok;bad prop");
  EXPECT_EQ(b.to_header(), "good=1");
}

TEST(Baggage, AtLeast64MembersArePropagated) {
  std::string h;
  for (int i = 0; i < 64; ++i) h += (i ? "," : "") + std::string("k") + std::to_string(i) + "=v";
  EXPECT_EQ(baggage::parse(h).size(), 64u);
  EXPECT_EQ(baggage::parse(h).to_header(), h);
}

TEST(Baggage, AtLeast8192BytesArePropagated) {
  // 64 members, 8,192 bytes with the commas.
  std::string h;
  for (int i = 0; i < 64; ++i)
    h += (i ? "," : "") + std::string("k") + std::to_string(100 + i) + "=" + std::string(i < 63 ? 122 : 123, 'v');
  ASSERT_EQ(h.size(), 8192u);
  EXPECT_EQ(baggage::parse(h).to_header(), h);
}

TEST(Baggage, NeverAPartialMemberBeyondTheLimits) {
  std::string h;
  for (int i = 0; i < 100; ++i)
    h += (i ? "," : "") + std::string("k") + std::to_string(100 + i) + "=" + std::string(123, 'v');
  const std::string out = baggage::parse(h).to_header();
  EXPECT_LE(out.size(), baggage::max_bytes);
  EXPECT_EQ(h.substr(0, out.size()), out);
  EXPECT_EQ(h[out.size()], ',') << "cut at a member boundary";
  const baggage again = baggage::parse(out);
  for (const auto& e : again.entries()) EXPECT_EQ(e.value.size(), 123u);
}

TEST(Baggage, SetReplacesAKeyAndEraseRemovesIt) {
  baggage b = baggage::parse("a=1,b=2,a=3");
  EXPECT_EQ(b.size(), 3u) << "duplicates are kept as received";
  EXPECT_TRUE(b.set("a", "x y", "p=1"));
  EXPECT_EQ(b.to_header(), "b=2,a=x%20y;p=1");
  EXPECT_FALSE(b.set("bad key", "v"));
  EXPECT_TRUE(b.erase("b"));
  EXPECT_EQ(b.to_header(), "a=x%20y;p=1");
}

TEST(Baggage, TheCurrentBaggageFollowsTheContext) {
  EXPECT_EQ(asyncctx::trace::current_baggage(), nullptr);
  asyncctx::trace::with_baggage(baggage::parse("user=ann"), [] {
    ASSERT_NE(asyncctx::trace::current_baggage(), nullptr);
    EXPECT_EQ(*asyncctx::trace::current_baggage()->get("user"), "ann");
    {
      auto s = asyncctx::trace::set_baggage(baggage::parse("user=bob"));
      EXPECT_EQ(*asyncctx::trace::current_baggage()->get("user"), "bob");
    }
    EXPECT_EQ(*asyncctx::trace::current_baggage()->get("user"), "ann");
  });
  EXPECT_EQ(asyncctx::trace::current_baggage(), nullptr);
}

}  // namespace
