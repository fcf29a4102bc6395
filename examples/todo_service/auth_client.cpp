#include "auth_client.hpp"

#include <stdexcept>
#include <utility>

namespace todo {

namespace {

constexpr std::size_t max_token_length = 256;

// token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="  (RFC 7235 2.1)
bool is_token68(std::string_view t) noexcept {
  if (t.empty() || t.size() > max_token_length) return false;
  std::size_t i = 0;
  for (; i < t.size(); ++i) {
    const char c = t[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
    if (!ok) break;
  }
  if (i == 0) return false;
  for (; i < t.size(); ++i) {
    if (t[i] != '=') return false;
  }
  return true;
}

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

}  // namespace

void auth_client::issue(std::string token, std::string name) {
  if (!is_token68(token))
    throw std::invalid_argument("auth_client: token is not a valid bearer token: '" + token + "'");
  users_by_token_.insert_or_assign(std::move(token), std::move(name));
}

std::optional<std::string_view> auth_client::bearer_token(std::string_view authorization) noexcept {
  // The scheme is case-insensitive; one or more spaces separate it from the token.
  constexpr std::string_view scheme = "bearer";
  if (authorization.size() <= scheme.size() || !iequals(authorization.substr(0, scheme.size()), scheme)) {
    return std::nullopt;
  }
  std::string_view rest = authorization.substr(scheme.size());
  if (rest.front() != ' ') return std::nullopt;
  while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
  if (!is_token68(rest)) return std::nullopt;
  return rest;
}

std::optional<user> auth_client::authenticate(std::string_view authorization) const {
  const std::optional<std::string_view> token = bearer_token(authorization);
  if (!token) return std::nullopt;
  const auto it = users_by_token_.find(std::string(*token));
  if (it == users_by_token_.end()) return std::nullopt;
  return user{it->second};
}

}  // namespace todo
