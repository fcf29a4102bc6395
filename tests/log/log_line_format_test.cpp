// asyncctx::log output formats: JSON lines and logfmt text stay one valid line whatever the
// bytes of the message, the logger name and the values (newlines, quotes, control
// characters, invalid UTF-8, U+2028 / U+2029 / U+0085); values keep their types; time is
// RFC 3339 UTC with microseconds. Every JSON line is parsed with nlohmann-json.
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/line_format.hpp>
#include <asyncctx/log/logger.hpp>

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <regex>
#include <string>
#include <vector>

#include "log_test_support.hpp"
#include <nlohmann/json.hpp>

namespace {

namespace log = asyncctx::log;
using asyncctx::log::line_format;
using nlohmann::json;

// Strings that try to end the line, forge a field or a record, or break the encoding.
std::vector<std::string> hostile_strings() {
  return {
      "plain",
      "",
      "line\nbreak",
      "carriage\rreturn",
      "crlf\r\nlevel=error msg=forged",
      "\"}\n{\"level\":\"forged\"",
      "quote\" and backslash\\",
      std::string("nul\0byte", 8),
      "tab\tand bell\a and escape \x1b[31m",
      "del\x7f",
      "lone continuation \x80",
      "invalid lead \xff\xfe",
      "truncated \xc3",
      "overlong slash \xc0\xaf",
      "surrogate \xed\xa0\x80",
      "above max \xf4\x90\x80\x80",
      "line separator \xe2\x80\xa8 here",
      "paragraph separator \xe2\x80\xa9 here",
      "next line \xc2\x85 here",
      "C1 \xc2\x9b csi",
      "valid caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
      "key=value other=\"x\"",
      std::string(5000, 'x') + "\n" + std::string(10, 'y'),
  };
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  while (i < s.size()) {
    const unsigned char c = p[i];
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    } else if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + n >= s.size() + 0 && i + n > s.size() - 1 + 1) return false;
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (p[i + k] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i + k] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    i += n + 1;
  }
  return true;
}

// Exactly one line: one '\n', at the end; no CR, no other C0/C1 control, no U+2028/2029.
void expect_one_clean_line(const std::string& line) {
  ASSERT_FALSE(line.empty());
  EXPECT_EQ(line.back(), '\n');
  EXPECT_EQ(line.find('\n'), line.size() - 1) << line;
  for (const char ch : line.substr(0, line.size() - 1)) {
    const auto c = static_cast<unsigned char>(ch);
    EXPECT_FALSE(c < 0x20 || c == 0x7f) << "control byte " << int(c) << " in " << line;
  }
  EXPECT_TRUE(valid_utf8(line)) << line;
  EXPECT_EQ(line.find("\xe2\x80\xa8"), std::string::npos);
  EXPECT_EQ(line.find("\xe2\x80\xa9"), std::string::npos);
  EXPECT_EQ(line.find("\xc2\x85"), std::string::npos);
}

// A logfmt reader for the tests: key=value pairs, values bare or quoted with the escapes of
// line_format.hpp (\" \\ \n \r \t \uXXXX \xNN); gives back the original bytes.
std::vector<std::pair<std::string, std::string>> parse_logfmt(const std::string& line) {
  std::vector<std::pair<std::string, std::string>> out;
  std::size_t i = 0;
  const std::size_t n = line.size() - 1;  // without '\n'
  auto put_utf8 = [](std::string& s, std::uint32_t cp) {
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  };
  while (i < n) {
    const std::size_t eq = line.find('=', i);
    if (eq == std::string::npos) throw std::runtime_error("no '=' in " + line);
    std::string key = line.substr(i, eq - i);
    i = eq + 1;
    std::string value;
    if (i < n && line[i] == '"') {
      ++i;
      while (true) {
        if (i >= n) throw std::runtime_error("unterminated quote in " + line);
        const char c = line[i];
        if (c == '"') {
          ++i;
          break;
        }
        if (c != '\\') {
          value += c;
          ++i;
          continue;
        }
        const char e = line.at(i + 1);
        i += 2;
        switch (e) {
          case '"':
          case '\\':
            value += e;
            break;
          case 'n':
            value += '\n';
            break;
          case 'r':
            value += '\r';
            break;
          case 't':
            value += '\t';
            break;
          case 'x':
            value += static_cast<char>(std::stoi(line.substr(i, 2), nullptr, 16));
            i += 2;
            break;
          case 'u':
            put_utf8(value, static_cast<std::uint32_t>(std::stoul(line.substr(i, 4), nullptr, 16)));
            i += 4;
            break;
          default:
            throw std::runtime_error("bad escape in " + line);
        }
      }
    } else {
      const std::size_t sp = line.find(' ', i);
      const std::size_t end = sp == std::string::npos || sp > n ? n : sp;
      value = line.substr(i, end - i);
      i = end;
    }
    out.emplace_back(std::move(key), std::move(value));
    if (i < n) {
      if (line[i] != ' ') throw std::runtime_error("no space after a value in " + line);
      ++i;
    }
  }
  return out;
}

// What a JSON reader sees for `s`: invalid UTF-8 bytes became U+FFFD each.
std::string json_view_of(const std::string& s) {
  std::string out;
  std::size_t i = 0;
  while (i < s.size()) {
    std::size_t len = 1;
    for (std::size_t n = 4; n >= 2; --n) {
      if (i + n <= s.size() && valid_utf8(s.substr(i, n)) && (static_cast<unsigned char>(s[i]) & 0xC0) == 0xC0) {
        len = n;
        break;
      }
    }
    const auto c = static_cast<unsigned char>(s[i]);
    if (len == 1 && c >= 0x80) {
      out += "\xef\xbf\xbd";
    } else {
      out += s.substr(i, len);
    }
    i += len;
  }
  return out;
}

TEST(LogLineFormat, HostileMessagesValuesAndLoggerNamesGiveExactlyOneValidJsonLine) {
  for (const std::string& s : hostile_strings()) {
    auto sink = std::make_shared<asyncctx_test::line_sink>();
    log::logger lg(asyncctx_test::make_logger(s, sink, line_format::json));
    log::with({{"value", s}}, [&] { lg.info({{"extra", s}}, "{}", s); });
    const auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 1u);
    expect_one_clean_line(lines[0]);
    json parsed;
    ASSERT_NO_THROW(parsed = json::parse(lines[0])) << lines[0];
    const std::string expected = json_view_of(s);
    EXPECT_EQ(parsed["msg"], expected);
    EXPECT_EQ(parsed["logger"], expected);
    EXPECT_EQ(parsed["value"], expected);
    EXPECT_EQ(parsed["extra"], expected);
    EXPECT_EQ(parsed.size(), 6u) << "no forged member: " << lines[0];
  }
}

TEST(LogLineFormat, HostileMessagesValuesAndLoggerNamesGiveExactlyOneLosslessTextLine) {
  for (const std::string& s : hostile_strings()) {
    auto sink = std::make_shared<asyncctx_test::line_sink>();
    log::logger lg(asyncctx_test::make_logger(s, sink, line_format::text));
    log::with({{"value", s}}, [&] { lg.info({{"extra", s}}, "{}", s); });
    const auto lines = sink->lines();
    ASSERT_EQ(lines.size(), 1u);
    expect_one_clean_line(lines[0]);
    std::vector<std::pair<std::string, std::string>> pairs;
    ASSERT_NO_THROW(pairs = parse_logfmt(lines[0])) << lines[0];
    ASSERT_EQ(pairs.size(), 6u) << "no forged pair: " << lines[0];
    EXPECT_EQ(pairs[0].first, "time");
    EXPECT_EQ(pairs[1], (std::pair<std::string, std::string>{"level", "info"}));
    EXPECT_EQ(pairs[2], (std::pair<std::string, std::string>{"logger", s}));
    EXPECT_EQ(pairs[3], (std::pair<std::string, std::string>{"msg", s}));
    EXPECT_EQ(pairs[4], (std::pair<std::string, std::string>{"value", s}));
    EXPECT_EQ(pairs[5], (std::pair<std::string, std::string>{"extra", s}));
  }
}

TEST(LogLineFormat, NumbersAndBoolsKeepTheirJsonTypes) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  log::logger lg(asyncctx_test::make_logger("n", sink, line_format::json));
  log::with({{"imin", std::numeric_limits<std::int64_t>::min()},
             {"umax", std::numeric_limits<std::uint64_t>::max()},
             {"one", 1.0},
             {"tiny", 1e-300},
             {"big", 1e300},
             {"nan", std::nan("")},
             {"inf", std::numeric_limits<double>::infinity()},
             {"ninf", -std::numeric_limits<double>::infinity()},
             {"yes", true},
             {"str7", "7"}},
            [&] { lg.info("numbers"); });
  const json j = json::parse(sink->lines().at(0));
  EXPECT_EQ(j["imin"].get<std::int64_t>(), std::numeric_limits<std::int64_t>::min());
  EXPECT_TRUE(j["umax"].is_number_unsigned());
  EXPECT_EQ(j["umax"].get<std::uint64_t>(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_TRUE(j["one"].is_number_float());
  EXPECT_EQ(j["one"].get<double>(), 1.0);
  EXPECT_EQ(j["tiny"].get<double>(), 1e-300);
  EXPECT_EQ(j["big"].get<double>(), 1e300);
  EXPECT_EQ(j["nan"], "NaN");
  EXPECT_EQ(j["inf"], "Infinity");
  EXPECT_EQ(j["ninf"], "-Infinity");
  EXPECT_EQ(j["yes"], true);
  EXPECT_EQ(j["str7"], "7");
}

TEST(LogLineFormat, TimeIsRfc3339InUtcWithMicroseconds) {
  using namespace std::chrono;
  // 2026-12-03T12:34:56.123456Z
  const sys_days day = year{2026} / December / 3;
  const auto t = system_clock::time_point(day + hours{12} + minutes{34} + seconds{56} + microseconds{123456});
  fmt::memory_buffer out;
  log::write_rfc3339(out, t);
  EXPECT_EQ(std::string(out.data(), out.size()), "2026-12-03T12:34:56.123456Z");
  out.clear();
  log::write_rfc3339(out, system_clock::time_point(sys_days(year{1969} / December / 31) + hours{23} + minutes{59} +
                                                   seconds{59} + microseconds{999999}));
  EXPECT_EQ(std::string(out.data(), out.size()), "1969-12-31T23:59:59.999999Z");
  out.clear();
  log::write_rfc3339(out, system_clock::time_point(sys_days(year{2024} / February / 29)));
  EXPECT_EQ(std::string(out.data(), out.size()), "2024-02-29T00:00:00.000000Z");

  auto sink = std::make_shared<asyncctx_test::line_sink>();
  log::logger lg(asyncctx_test::make_logger("t", sink, line_format::json));
  lg.info("now");
  const std::string time = json::parse(sink->lines().at(0))["time"];
  EXPECT_TRUE(std::regex_match(time, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z)"))) << time;
}

}  // namespace
