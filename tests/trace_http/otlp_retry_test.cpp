// Retry rules of the OTLP exporter (otlp_retry.hpp) and the URL parser (http_url.hpp).
#include <asyncctx/trace/http_url.hpp>
#include <asyncctx/trace/otlp_retry.hpp>

#include <gtest/gtest.h>

#include <chrono>

namespace {

using namespace asyncctx::trace;
using namespace std::chrono;
using namespace std::chrono_literals;

// Sun, 06 Nov 1994 08:49:37 GMT
const system_clock::time_point rfc_date = sys_days(1994y / November / 6) + 8h + 49min + 37s;

TEST(OtlpRetry, OnlyTooManyRequestsAndGatewayErrorsAreRetryable) {
  for (unsigned s : {429u, 502u, 503u, 504u}) EXPECT_TRUE(otlp_retryable_status(s)) << s;
  for (unsigned s : {200u, 400u, 401u, 403u, 404u, 408u, 413u, 500u, 501u, 505u})
    EXPECT_FALSE(otlp_retryable_status(s)) << s;
}

TEST(OtlpRetry, RetryAfterDelaySeconds) {
  EXPECT_EQ(parse_retry_after("0", rfc_date), 0ms);
  EXPECT_EQ(parse_retry_after("120", rfc_date), 120s);
  EXPECT_EQ(parse_retry_after(" 3 ", rfc_date), 3s);
  EXPECT_EQ(parse_retry_after("99999999999999999999999", rfc_date), duration_cast<milliseconds>(24h));
}

TEST(OtlpRetry, RetryAfterHttpDateInAllThreeForms) {
  const auto before = rfc_date - 10s;
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", before), 10s);
  EXPECT_EQ(parse_retry_after("Sunday, 06-Nov-94 08:49:37 GMT", before), 10s);
  EXPECT_EQ(parse_retry_after("Sun Nov  6 08:49:37 1994", before), 10s);
  EXPECT_EQ(parse_retry_after("Sun, 06 Nov 1994 08:49:37 GMT", rfc_date + 1h), 0ms);  // past: now
}

TEST(OtlpRetry, Rfc850TwoDigitYearMoreThanFiftyYearsAheadIsInThePast) {
  const system_clock::time_point now = sys_days(2030y / December / 31) + 23h;
  // "99" read as 2099 would be 69 years ahead: it is 1999, in the past.
  EXPECT_EQ(parse_retry_after("Friday, 01-Jan-99 00:00:00 GMT", now), 0ms);
  // "31" is 2031, an hour ahead.
  EXPECT_EQ(parse_retry_after("Wednesday, 01-Jan-31 00:00:00 GMT", now), 1h);
}

TEST(OtlpRetry, MalformedRetryAfterIsIgnored) {
  for (const char* bad : {"", "-1", "1.5", "soon", "Sun, 06 Nov 1994 08:49:37 UTC", "Sun, 31 Feb 1994 08:49:37 GMT",
                          "Sun, 06 Nov 1994 25:49:37 GMT", "Sun,06 Nov 1994 08:49:37 GMT", "Sun Nov 6 08:49:37 1994"}) {
    EXPECT_FALSE(parse_retry_after(bad, rfc_date)) << bad;
  }
}

TEST(OtlpRetry, BackoffGrowsExponentiallyUpToTheCapWithJitterAround) {
  otlp_retry_policy p;
  p.initial_backoff = 100ms;
  p.max_backoff = 1000ms;
  p.multiplier = 2;
  p.jitter = 0;
  EXPECT_EQ(otlp_backoff(p, 1, 0.5), 100ms);
  EXPECT_EQ(otlp_backoff(p, 2, 0.5), 200ms);
  EXPECT_EQ(otlp_backoff(p, 4, 0.5), 800ms);
  EXPECT_EQ(otlp_backoff(p, 5, 0.5), 1000ms);
  EXPECT_EQ(otlp_backoff(p, 50, 0.5), 1000ms);
  p.jitter = 0.2;
  EXPECT_EQ(otlp_backoff(p, 1, 0.0), 80ms);
  EXPECT_EQ(otlp_backoff(p, 1, 0.5), 100ms);
  EXPECT_GE(otlp_backoff(p, 1, 0.999), 119ms);
}

TEST(HttpUrl, ParsesSchemeHostPortAndTarget) {
  auto u = parse_http_url("http://127.0.0.1:4318/v1/traces");
  ASSERT_TRUE(u);
  EXPECT_EQ(u->scheme, "http");
  EXPECT_EQ(u->host, "127.0.0.1");
  EXPECT_EQ(u->port, 4318);
  EXPECT_EQ(u->target, "/v1/traces");
  EXPECT_EQ(u->host_header(), "127.0.0.1:4318");
  auto d = parse_http_url("HTTP://collector");
  ASSERT_TRUE(d);
  EXPECT_EQ(d->port, 80);
  EXPECT_EQ(d->target, "/");
  EXPECT_EQ(d->host_header(), "collector");
  auto q = parse_http_url("http://h?x=1#frag");
  ASSERT_TRUE(q);
  EXPECT_EQ(q->target, "/?x=1");
  auto v6 = parse_http_url("http://[::1]:9/p");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->host_header(), "[::1]:9");
  EXPECT_EQ(parse_http_url("https://h")->port, 443);
}

TEST(HttpUrl, RefusesWhatIsNotAPlainHttpUrl) {
  for (const char* bad :
       {"", "localhost:4318", "ftp://h/", "http://", "http://:80/", "http://h:0/", "http://h:65536/", "http://h:/",
        "http://user:pw@h/", "http://h/a b", "http://h/\r\nX: y", "http://[::1/", "http://h:8x/", "http://bad host/"}) {
    EXPECT_FALSE(parse_http_url(bad)) << bad;
  }
}

}  // namespace
