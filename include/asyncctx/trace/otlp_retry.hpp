// asyncctx::trace::otlp_retry_policy: when and how long the OTLP/HTTP exporter waits before it
// sends a failed request again (the OTLP specification's retry rules).
//
//   * Retryable: the status codes 429, 502, 503 and 504, and a request that got no response at
//     all (connection refused, reset or closed before the answer). Every other status, among
//     them every other 4xx, is final: the spans are lost (counted and reported).
//   * The wait is the server's Retry-After when it sent one (delay-seconds or an HTTP-date, in
//     any of the three date forms HTTP recipients must accept), otherwise an exponential
//     backoff, initial_backoff * multiplier^(retry - 1) capped at max_backoff, spread by
//     +/- jitter (a fraction) so that many clients do not retry in step.
//   * All attempts and waits of one export fit in the export timeout: a wait that would end
//     after it is not started.
//
// Thread-safety: pure functions on values.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <chrono>
#include <optional>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct otlp_retry_policy {
  int max_attempts = 5;  // the first attempt included; 1 = never retry
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
  double jitter = 0.2;  // the wait is multiplied by a uniform factor in [1 - jitter, 1 + jitter]
};

// 429, 502, 503, 504.
constexpr bool otlp_retryable_status(unsigned status) noexcept {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

// The wait a Retry-After value asks for: delay-seconds (saturated at a day), or the time until
// an HTTP-date (IMF-fixdate "Sun, 06 Nov 1994 08:49:37 GMT", RFC 850 "Sunday, 06-Nov-94
// 08:49:37 GMT" or asctime "Sun Nov  6 08:49:37 1994"; zero when it is past). nullopt when the
// value is none of these.
ASYNCCTX_API std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) noexcept;

// The backoff before retry number `retry` (1 = the wait after the first attempt) without a
// Retry-After; `random01` is a uniform draw in [0, 1) that picks the jitter.
ASYNCCTX_API std::chrono::milliseconds otlp_backoff(const otlp_retry_policy& policy, int retry,
                                                    double random01) noexcept;

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
