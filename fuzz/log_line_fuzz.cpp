// libFuzzer target for asyncctx::log's handling of outside bytes: a message, logger name or
// field value may hold anything a client sent, and a record payload that spdlog hands the
// formatter may be any bytes (a plain spdlog call). Checks that decoding never crashes, even
// of field encodings behind a valid footer, and that every JSON and text line written from the
// input is exactly one line of valid UTF-8 without control characters, and (JSON) parses.
//   log_line_fuzz -max_total_time=10
#include <asyncctx/log/line_format.hpp>
#include <asyncctx/log/record.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#if __has_include(<nlohmann/json.hpp>)
#include <nlohmann/json.hpp>
#define ASYNCCTX_FUZZ_JSON 1
#endif

namespace {

namespace log = asyncctx::log;

bool valid_utf8(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = 0;
    std::uint32_t cp = 0;
    if (c < 0x80) {
      ++i;
      continue;
    }
    if ((c & 0xE0) == 0xC0) {
      n = 1;
      cp = c & 0x1Fu;
    } else if ((c & 0xF0) == 0xE0) {
      n = 2;
      cp = c & 0x0Fu;
    } else if ((c & 0xF8) == 0xF0) {
      n = 3;
      cp = c & 0x07u;
    } else {
      return false;
    }
    for (std::size_t k = 1; k <= n; ++k) {
      if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (static_cast<unsigned char>(s[i + k]) & 0x3Fu);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF) || (cp >= 0x80 && cp <= 0x9F) || cp == 0x2028 || cp == 0x2029)
      return false;
    i += n + 1;
  }
  return true;
}

void check_one_line(const fmt::memory_buffer& out, bool json) {
  const std::string_view line(out.data(), out.size());
  if (line.empty() || line.back() != '\n') std::abort();
  const std::string_view body = line.substr(0, line.size() - 1);
  for (const char ch : body) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7f) std::abort();
  }
  if (!valid_utf8(body)) std::abort();
#if defined(ASYNCCTX_FUZZ_JSON)
  if (json && !nlohmann::json::accept(body)) std::abort();
#else
  (void)json;
#endif
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);

  // Any payload: a message, or (never, without this process's key) a record.
  log::record_view record;
  record.decode_payload(input);
  if (record.message() != input) std::abort();

  // The input as field encodings behind a valid footer: the decoder's own parsing.
  std::string payload(input);
  const std::uint32_t message_length = 0;
  const auto fields_length = static_cast<std::uint32_t>(size);
  const std::uint64_t key = log::detail::record_key();
  payload.append(reinterpret_cast<const char*>(&message_length), 4);
  payload.append(reinterpret_cast<const char*>(&fields_length), 4);
  payload.append(reinterpret_cast<const char*>(&key), 8);
  log::record_view decoded;
  decoded.decode_payload(payload);
  if (!decoded.has_fields() || !decoded.message().empty()) std::abort();
  for (const log::field_view& f : decoded.fields()) {
    if (!log::is_valid_key(f.key)) std::abort();
  }

  // Lines from the input as logger, message and the decoded fields.
  const auto now = std::chrono::system_clock::now();
  for (const bool json : {true, false}) {
    fmt::memory_buffer out;
    log::write_line(json ? log::line_format::json : log::line_format::text, out, now, log::level::info, input, input,
                    decoded);
    check_one_line(out, json);
  }
  return 0;
}
