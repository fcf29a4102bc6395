// asyncctx::log::level: the severity of a record. The values are spdlog's
// (spdlog::level::level_enum), so a level converts to and from spdlog's by value.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstdint>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

enum class level : std::uint8_t { trace = 0, debug = 1, info = 2, warn = 3, error = 4, critical = 5, off = 6 };

// The level's name as written in JSON and text lines: "trace", "debug", "info", "warn",
// "error", "critical" ("off" for off).
constexpr std::string_view to_string(level l) noexcept {
  switch (l) {
    case level::trace:
      return "trace";
    case level::debug:
      return "debug";
    case level::info:
      return "info";
    case level::warn:
      return "warn";
    case level::error:
      return "error";
    case level::critical:
      return "critical";
    case level::off:
      return "off";
  }
  return "off";
}

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
