// asyncctx::trace::http_url: the parts of an http:// URL that an HTTP/1.1 client needs (the
// OTLP endpoint, the target of a traced client request).
//
//   auto url = asyncctx::trace::parse_http_url("http://127.0.0.1:4318/v1/traces");
//   // url->host == "127.0.0.1", url->port == 4318, url->target == "/v1/traces"
//
// Strict: the scheme is `http` or `https` (either case); the host is a registered name of
// [A-Za-z0-9.-_~], an IPv4 address or a bracketed IPv6 literal; the port, when present, is
// 1-65535; user information (`user@`) is refused (it would leak credentials into logs); the
// fragment is dropped; the path and query are kept as given but may contain no space or
// control character (they go into a request line verbatim). Anything else is nullopt.
// Thread-safety: pure functions on values.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct http_url {
  std::string scheme;  // "http" or "https", lowercase
  std::string host;    // without brackets for IPv6
  std::uint16_t port = 0;
  std::string target;  // path and query, "/" at least

  // host[:port] as a Host header wants it (brackets around IPv6, the port only when it is not
  // the scheme's default).
  std::string host_header() const {
    std::string h = host.find(':') != std::string::npos ? "[" + host + "]" : host;
    const std::uint16_t default_port = scheme == "https" ? 443 : 80;
    if (port != default_port) h += ":" + std::to_string(port);
    return h;
  }

  friend bool operator==(const http_url&, const http_url&) = default;
};

namespace detail {
constexpr bool is_url_host_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
         c == '_' || c == '~';
}
}  // namespace detail

inline std::optional<http_url> parse_http_url(std::string_view text) {
  http_url url;
  const std::size_t colon = text.find("://");
  if (colon == std::string_view::npos) return std::nullopt;
  for (const char c : text.substr(0, colon)) url.scheme.push_back(c >= 'A' && c <= 'Z' ? char(c - 'A' + 'a') : c);
  if (url.scheme != "http" && url.scheme != "https") return std::nullopt;
  std::string_view rest = text.substr(colon + 3);
  if (const std::size_t hash = rest.find('#'); hash != std::string_view::npos) rest = rest.substr(0, hash);
  const std::size_t path_at = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, path_at);
  std::string_view target = path_at == std::string_view::npos ? std::string_view() : rest.substr(path_at);
  if (authority.empty() || authority.find('@') != std::string_view::npos) return std::nullopt;
  std::string_view port_text;
  if (authority.front() == '[') {
    const std::size_t close = authority.find(']');
    if (close == std::string_view::npos || close == 1) return std::nullopt;
    const std::string_view literal = authority.substr(1, close - 1);
    for (const char c : literal) {
      const bool hex = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
      if (!hex && c != ':' && c != '.') return std::nullopt;
    }
    url.host.assign(literal);
    const std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return std::nullopt;
      port_text = after.substr(1);
      if (port_text.empty()) return std::nullopt;
    }
  } else {
    const std::size_t port_colon = authority.find(':');
    const std::string_view host = authority.substr(0, port_colon);
    if (host.empty()) return std::nullopt;
    for (const char c : host) {
      if (!detail::is_url_host_char(c)) return std::nullopt;
    }
    url.host.assign(host);
    if (port_colon != std::string_view::npos) {
      port_text = authority.substr(port_colon + 1);
      if (port_text.empty()) return std::nullopt;
    }
  }
  if (port_text.empty()) {
    url.port = url.scheme == "https" ? 443 : 80;
  } else {
    if (port_text.size() > 5) return std::nullopt;
    unsigned port = 0;
    for (const char c : port_text) {
      if (c < '0' || c > '9') return std::nullopt;
      port = port * 10 + unsigned(c - '0');
    }
    if (port == 0 || port > 65535) return std::nullopt;
    url.port = static_cast<std::uint16_t>(port);
  }
  for (const char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return std::nullopt;
  }
  if (target.empty() || target.front() == '?') {
    url.target = "/";
  }
  url.target.append(target);
  return url;
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
