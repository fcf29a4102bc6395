#include <asyncctx/trace/otlp_retry.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

using std::chrono::milliseconds;

constexpr std::int64_t max_retry_after_seconds = std::int64_t{24} * 60 * 60;

// Reads exactly `n` digits.
bool digits(std::string_view& s, std::size_t n, int& out) {
  if (s.size() < n) return false;
  int v = 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  s.remove_prefix(n);
  return true;
}

bool literal(std::string_view& s, std::string_view lit) {
  if (s.substr(0, lit.size()) != lit) return false;
  s.remove_prefix(lit.size());
  return true;
}

bool month(std::string_view& s, int& out) {
  static constexpr std::array<std::string_view, 12> names = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                             "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  for (int i = 0; i < 12; ++i) {
    if (literal(s, names[static_cast<std::size_t>(i)])) {
      out = i + 1;
      return true;
    }
  }
  return false;
}

bool short_day(std::string_view& s) {
  for (std::string_view d : {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}) {
    if (literal(s, d)) return true;
  }
  return false;
}

bool long_day(std::string_view& s) {
  for (std::string_view d : {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"}) {
    if (literal(s, d)) return true;
  }
  return false;
}

bool time_of_day(std::string_view& s, int& h, int& m, int& sec) {
  return digits(s, 2, h) && literal(s, ":") && digits(s, 2, m) && literal(s, ":") && digits(s, 2, sec) && h < 24 &&
         m < 60 && sec < 61;  // 60: a leap second
}

struct civil {
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
};

std::optional<std::chrono::system_clock::time_point> to_time(const civil& c) {
  const std::chrono::year_month_day ymd{std::chrono::year{c.year}, std::chrono::month{unsigned(c.month)},
                                        std::chrono::day{unsigned(c.day)}};
  if (!ymd.ok()) return std::nullopt;
  return std::chrono::sys_days(ymd) + std::chrono::hours(c.hour) + std::chrono::minutes(c.minute) +
         std::chrono::seconds(c.second);
}

std::optional<std::chrono::system_clock::time_point> parse_http_date(std::string_view s,
                                                                     std::chrono::system_clock::time_point now) {
  civil c;
  std::string_view t = s;
  // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
  if (short_day(t) && literal(t, ", ") && digits(t, 2, c.day) && literal(t, " ") && month(t, c.month) &&
      literal(t, " ") && digits(t, 4, c.year) && literal(t, " ") && time_of_day(t, c.hour, c.minute, c.second) &&
      literal(t, " GMT") && t.empty()) {
    return to_time(c);
  }
  // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
  t = s;
  int yy = 0;
  if (long_day(t) && literal(t, ", ") && digits(t, 2, c.day) && literal(t, "-") && month(t, c.month) &&
      literal(t, "-") && digits(t, 2, yy) && literal(t, " ") && time_of_day(t, c.hour, c.minute, c.second) &&
      literal(t, " GMT") && t.empty()) {
    // RFC 9110 5.6.7: a two-digit year that looks more than 50 years ahead is in the past.
    const int this_year = int(std::chrono::year_month_day(std::chrono::floor<std::chrono::days>(now)).year());
    c.year = this_year / 100 * 100 + yy;
    if (c.year > this_year + 50) c.year -= 100;
    return to_time(c);
  }
  // asctime: Sun Nov  6 08:49:37 1994
  t = s;
  if (short_day(t) && literal(t, " ") && month(t, c.month) && literal(t, " ")) {
    if (literal(t, " ")) {
      if (!digits(t, 1, c.day)) return std::nullopt;
    } else if (!digits(t, 2, c.day)) {
      return std::nullopt;
    }
    if (literal(t, " ") && time_of_day(t, c.hour, c.minute, c.second) && literal(t, " ") && digits(t, 4, c.year) &&
        t.empty()) {
      return to_time(c);
    }
  }
  return std::nullopt;
}

}  // namespace

std::optional<milliseconds> parse_retry_after(std::string_view value,
                                              std::chrono::system_clock::time_point now) noexcept {
  // Optional whitespace around a field value is not part of it (RFC 9110 5.5).
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::all_of(value.begin(), value.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    std::int64_t seconds = 0;
    for (const char c : value) {
      seconds = seconds * 10 + (c - '0');
      if (seconds > max_retry_after_seconds) {
        seconds = max_retry_after_seconds;
        break;
      }
    }
    return std::chrono::duration_cast<milliseconds>(std::chrono::seconds(seconds));
  }
  try {
    const auto when = parse_http_date(value, now);
    if (!when) return std::nullopt;
    if (*when <= now) return milliseconds(0);
    return std::min(std::chrono::duration_cast<milliseconds>(*when - now),
                    milliseconds(std::chrono::seconds(max_retry_after_seconds)));
  } catch (...) {
    return std::nullopt;
  }
}

milliseconds otlp_backoff(const otlp_retry_policy& policy, int retry, double random01) noexcept {
  const double base = static_cast<double>(policy.initial_backoff.count()) *
                      std::pow(std::max(policy.multiplier, 1.0), std::max(retry - 1, 0));
  const double capped = std::min(base, static_cast<double>(policy.max_backoff.count()));
  const double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  const double factor = 1.0 - jitter + 2.0 * jitter * std::clamp(random01, 0.0, 1.0);
  return milliseconds(static_cast<std::int64_t>(std::max(0.0, capped * factor)));
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
