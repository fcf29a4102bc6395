// auth_client: resolves a request's bearer token to its user — the todo service's stand-in for
// a managed auth service. Tokens are issued at start-up (issue()); an Authorization header
// is parsed strictly (RFC 6750: "Bearer" then one token68), and anything else is no user.
// Thread-safety: issue() before serving; authenticate() from any number of threads at once.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace todo {

struct user {
  std::string name;
};

class auth_client {
 public:
  // Makes `token` (1-256 characters of the token68 alphabet) authenticate `name`. Throws
  // std::invalid_argument for a token that no header could carry.
  void issue(std::string token, std::string name);

  // The user of an Authorization header's value ("Bearer <token>"), or nullopt for a
  // missing, malformed or unknown token.
  std::optional<user> authenticate(std::string_view authorization) const;

  // The token of an Authorization value, when it is well formed; nullopt otherwise.
  static std::optional<std::string_view> bearer_token(std::string_view authorization) noexcept;

 private:
  std::unordered_map<std::string, std::string> users_by_token_;
};

}  // namespace todo
