// HTTP semantic-convention helpers shared by the server layer and the client (private to
// asyncctx::trace_http). Everything here reads untrusted header values: bounded, never throws
// but std::bad_alloc.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace::semconv {

// The methods the conventions know (RFC 9110's and PATCH); anything else is "_OTHER".
inline bool known_method(std::string_view m) {
  for (std::string_view k : {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}) {
    if (m == k) return true;
  }
  return false;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// A host or address as it may appear in Host / Forwarded: letters, digits, . - _ : and
// nothing longer than a DNS name. Anything else is not recorded.
inline bool plausible_host(std::string_view h) {
  if (h.empty() || h.size() > 253) return false;
  for (const char c : h) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                    c == '-' || c == '_' || c == ':';
    if (!ok) return false;
  }
  return true;
}

struct host_port {
  std::string host;
  std::optional<std::uint16_t> port;
};

// "name", "name:port", "[v6]" or "[v6]:port"; nullopt when malformed.
inline std::optional<host_port> parse_host(std::string_view value) {
  value = trim(value);
  host_port out;
  std::string_view port;
  if (!value.empty() && value.front() == '[') {
    const std::size_t close = value.find(']');
    if (close == std::string_view::npos) return std::nullopt;
    out.host.assign(value.substr(1, close - 1));
    const std::string_view rest = value.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') return std::nullopt;
      port = rest.substr(1);
    }
  } else {
    const std::size_t colon = value.find(':');
    out.host.assign(value.substr(0, colon));
    if (colon != std::string_view::npos) port = value.substr(colon + 1);
  }
  if (!plausible_host(out.host)) return std::nullopt;
  if (!port.empty()) {
    if (port.size() > 5) return std::nullopt;
    unsigned p = 0;
    for (const char c : port) {
      if (c < '0' || c > '9') return std::nullopt;
      p = p * 10 + unsigned(c - '0');
    }
    if (p == 0 || p > 65535) return std::nullopt;
    out.port = static_cast<std::uint16_t>(p);
  }
  return out;
}

// The original client from X-Forwarded-For ("client, proxy1, ...") or Forwarded
// ("for=client;proto=http, for=proxy"): the first entry, when it is a plausible address.
inline std::optional<std::string> forwarded_client(std::string_view forwarded, std::string_view x_forwarded_for) {
  if (!forwarded.empty()) {
    std::string_view first = forwarded.substr(0, forwarded.find(','));
    while (!first.empty()) {
      const std::size_t semi = first.find(';');
      std::string_view pair = trim(first.substr(0, semi));
      first = semi == std::string_view::npos ? std::string_view() : first.substr(semi + 1);
      if (pair.size() > 4 &&
          (pair.substr(0, 4) == "for=" || pair.substr(0, 4) == "For=" || pair.substr(0, 4) == "FOR=")) {
        std::string_view v = pair.substr(4);
        if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
        if (auto hp = parse_host(v)) return hp->host;
        return std::nullopt;
      }
    }
  }
  if (!x_forwarded_for.empty()) {
    const std::string_view first = trim(x_forwarded_for.substr(0, x_forwarded_for.find(',')));
    if (plausible_host(first)) return std::string(first);
  }
  return std::nullopt;
}

}  // namespace trace::semconv
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
