// asyncctx::asio::request_context: what an HTTP server knows about the request being
// handled, bound in the request's own context so that every callback, timer, pool task and
// coroutine started while handling it can read it with current_request(), on any thread,
// without a parameter.
//
// Request ids come from the client's X-Request-ID only when the value is strictly valid
// (1–128 characters of [A-Za-z0-9._:-]); anything else — empty, too long, spaces, control
// characters (CR/LF header injection), non-ASCII bytes, quotes — is never used as an id and
// a new one is generated instead. The charset keeps ids safe to print in log lines, JSON
// strings, headers and file names without escaping.
//
// Only the standard library and the core are used here, so the validator and the generator
// can be used (and fuzzed) without Boost.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/variable.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

// One HTTP request's facts, immutable once bound (the context holds it as a const value).
// Invariant: is_valid_request_id(id) holds for every request_context made by
// make_request_context (and hence by http_server).
// Thread-safety: immutable; read it from any thread that runs in the request's context.
struct request_context {
  std::string id;                                    // the request id, echoed as X-Request-ID
  bool id_generated = false;                         // true when the client sent no usable X-Request-ID
  std::string method;                                // "GET", "POST", ...
  std::string target;                                // the request target as received ("/path?query")
  std::chrono::steady_clock::time_point start;       // for durations (monotonic)
  std::chrono::system_clock::time_point start_time;  // for log lines (wall clock)

  // Time since the request was received.
  std::chrono::steady_clock::duration elapsed() const { return std::chrono::steady_clock::now() - start; }
};

inline constexpr std::size_t max_request_id_length = 128;

// True for the characters a request id may contain: [A-Za-z0-9._:-].
constexpr bool is_request_id_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_' ||
         c == ':' || c == '-';
}

// True when `id` is 1–128 characters of [A-Za-z0-9._:-]. Strict on purpose: an id ends up
// in logs and headers, so anything that could break them out (CR, LF, quotes, NUL, bytes of
// UTF-8 sequences) is rejected rather than escaped.
constexpr bool is_valid_request_id(std::string_view id) noexcept {
  if (id.empty() || id.size() > max_request_id_length) return false;
  for (const char c : id) {
    if (!is_request_id_char(c)) return false;
  }
  return true;
}

// A new request id, unique in this process and (with overwhelming probability) across
// processes: 16 hex digits of a per-process random prefix, '-', 16 hex digits of a counter
// (33 characters). One relaxed atomic increment per id: no lock, no syscall.
// The prefix and the counter live in the compiled library, once per process however many
// shared objects make ids.
// Thread-safety: may be called from any thread at once.
ASYNCCTX_API std::string generate_request_id();

// The variable that holds the current request. http_server binds it; code that serves
// requests by other means may bind it too (request_variable().run(make_request_context(...), f)).
// Defined in the compiled library: one variable per process, so that a request bound in one
// shared object (the server) is current in every other (a logger's field provider, a plugin),
// whatever visibility they were built with.
ASYNCCTX_API const variable<request_context>& request_variable();

// The request being handled in the current context, or nullptr outside any request. The
// pointer stays valid while the current context does (for the whole handling of a request,
// including its asynchronous continuations, which hold the context).
inline const request_context* current_request() { return request_variable().get(); }

// A request_context for a request that just arrived: `incoming_id` (the X-Request-ID value;
// empty when absent) becomes the id only when valid, otherwise a new id is generated.
inline request_context make_request_context(std::string_view incoming_id, std::string method, std::string target) {
  request_context rc;
  if (is_valid_request_id(incoming_id)) {
    rc.id.assign(incoming_id);
  } else {
    rc.id = generate_request_id();
    rc.id_generated = true;
  }
  rc.method = std::move(method);
  rc.target = std::move(target);
  rc.start = std::chrono::steady_clock::now();
  rc.start_time = std::chrono::system_clock::now();
  return rc;
}

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
