// asyncctx::asio::request_context: the strict request-id validator, the id generator, and
// the binding read by current_request().
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/thread_pool.hpp>

#include <gtest/gtest.h>

#include <future>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_set>
#include <vector>

namespace {

using asyncctx::asio::current_request;
using asyncctx::asio::generate_request_id;
using asyncctx::asio::is_valid_request_id;
using asyncctx::asio::make_request_context;
using asyncctx::asio::request_variable;

// The validator is usable in constant expressions.
static_assert(is_valid_request_id("abc-123"));
static_assert(!is_valid_request_id(""));

TEST(RequestIdValidation, AcceptsTheAllowedCharset) {
  EXPECT_TRUE(is_valid_request_id("a"));
  EXPECT_TRUE(is_valid_request_id("0"));
  EXPECT_TRUE(is_valid_request_id("550e8400-e29b-41d4-a716-446655440000"));
  EXPECT_TRUE(is_valid_request_id("svc.api:req_42-Z"));
  EXPECT_TRUE(is_valid_request_id("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-"));
  EXPECT_TRUE(is_valid_request_id(std::string(128, 'x')));
}

TEST(RequestIdValidation, RejectsEmptyAndTooLong) {
  EXPECT_FALSE(is_valid_request_id(""));
  EXPECT_FALSE(is_valid_request_id(std::string(129, 'x')));
  EXPECT_FALSE(is_valid_request_id(std::string(100000, 'x')));
}

TEST(RequestIdValidation, RejectsHeaderInjectionAndOtherBytes) {
  using namespace std::string_view_literals;
  for (std::string_view bad : {"a b"sv,      "a\r\nSet-Cookie: x=1"sv,
                               "abc\r"sv,    "abc\n"sv,
                               "\r\n"sv,     "a\0b"sv,
                               "a\tb"sv,     "a/b"sv,
                               "a\"b"sv,     "a'b"sv,
                               "a,b"sv,      "a;b"sv,
                               "a=b"sv,      "a+b"sv,
                               "a%0d%0a"sv,  "a<b>"sv,
                               "{json}"sv,   "a\\b"sv,
                               " leading"sv, "trailing "sv}) {
    EXPECT_FALSE(is_valid_request_id(bad)) << "accepted: " << ::testing::PrintToString(std::string(bad));
  }
}

TEST(RequestIdValidation, RejectsUnicode) {
  EXPECT_FALSE(is_valid_request_id("caf\xc3\xa9"));               // café (UTF-8)
  EXPECT_FALSE(is_valid_request_id("\xe6\x97\xa5\xe6\x9c\xac"));  // 日本
  EXPECT_FALSE(
      is_valid_request_id("id\xef\xbc\x8d"
                          "1"));  // fullwidth hyphen-minus
  EXPECT_FALSE(is_valid_request_id("\xff"));
  EXPECT_FALSE(is_valid_request_id("\x80"));
}

// Every single byte, checked against the specification's charset.
TEST(RequestIdValidation, EveryByteAgainstTheCharset) {
  const std::string_view allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
  for (int b = 0; b < 256; ++b) {
    const char c = static_cast<char>(b);
    const bool expected = allowed.find(c) != std::string_view::npos;
    EXPECT_EQ(is_valid_request_id(std::string_view(&c, 1)), expected) << "byte " << b;
    EXPECT_EQ(is_valid_request_id("ok" + std::string(1, c) + "ok"), expected) << "byte " << b << " inside";
  }
}

TEST(RequestIdGeneration, IdsAreValidAndShareTheProcessPrefix) {
  const std::string a = generate_request_id();
  const std::string b = generate_request_id();
  EXPECT_TRUE(is_valid_request_id(a)) << a;
  EXPECT_TRUE(is_valid_request_id(b)) << b;
  EXPECT_EQ(a.size(), 33U);
  EXPECT_EQ(a.substr(0, 17), b.substr(0, 17));  // same process: same prefix
  EXPECT_NE(a, b);
}

// 4 threads × 25,000 ids at once: all distinct (no lock: one atomic increment per id).
TEST(RequestIdGeneration, UniqueAcrossThreads) {
  constexpr int threads = 4;
  constexpr int per_thread = 25000;
  std::vector<std::vector<std::string>> ids(threads);
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&ids, t] {
      ids[t].reserve(per_thread);
      for (int i = 0; i < per_thread; ++i) ids[t].push_back(generate_request_id());
    });
  }
  for (auto& w : workers) w.join();
  std::unordered_set<std::string> all;
  for (const auto& v : ids) {
    for (const auto& id : v) {
      ASSERT_TRUE(is_valid_request_id(id)) << id;
      all.insert(id);
    }
  }
  EXPECT_EQ(all.size(), static_cast<std::size_t>(threads * per_thread));
}

TEST(RequestContext, ValidIncomingIdIsKept) {
  const auto rc = make_request_context("client-id.1", "GET", "/a?b=c");
  EXPECT_EQ(rc.id, "client-id.1");
  EXPECT_FALSE(rc.id_generated);
  EXPECT_EQ(rc.method, "GET");
  EXPECT_EQ(rc.target, "/a?b=c");
  EXPECT_LE(rc.start, std::chrono::steady_clock::now());
  EXPECT_LE(rc.start_time, std::chrono::system_clock::now());
  EXPECT_GE(rc.elapsed().count(), 0);
}

TEST(RequestContext, InvalidIncomingIdIsNeverUsed) {
  for (std::string_view bad : {"", "a b", "x\r\nInjected: 1", "caf\xc3\xa9"}) {
    const auto rc = make_request_context(bad, "POST", "/");
    EXPECT_NE(rc.id, bad);
    EXPECT_TRUE(rc.id_generated);
    EXPECT_TRUE(is_valid_request_id(rc.id)) << rc.id;
  }
  const auto long_rc = make_request_context(std::string(129, 'a'), "GET", "/");
  EXPECT_TRUE(long_rc.id_generated);
  EXPECT_EQ(long_rc.id.size(), 33U);
}

TEST(RequestContext, CurrentRequestFollowsTheBinding) {
  EXPECT_EQ(current_request(), nullptr);
  asyncctx::thread_pool pool(2);
  std::future<std::string> seen;
  request_variable().run(make_request_context("req-1", "GET", "/x"), [&] {
    ASSERT_NE(current_request(), nullptr);
    EXPECT_EQ(current_request()->id, "req-1");
    // The pool captures the submitter's context: the request follows the hop.
    seen = pool.submit([] { return current_request() != nullptr ? current_request()->id : std::string("none"); });
  });
  EXPECT_EQ(current_request(), nullptr);
  EXPECT_EQ(seen.get(), "req-1");
  pool.wait_idle();
}

}  // namespace
