// asyncctx::trace::baggage: W3C Baggage, the application's key/value pairs that travel with a
// request across services, and the baggage of the current context.
//
// Invariants: every entry has a valid key (an RFC 7230 token); the value is the decoded
// string (the header carries it percent-encoded as UTF-8); the properties are kept as their
// normalized text (`k1=v1;k2`), opaque as the specification says. Parsing drops a member that
// does not match the grammar (the specification allows removing it) and keeps the others.
// The limits are applied by whole members, never a partial one: at most max_members members
// and a header of at most max_bytes bytes (the specification asks for at least 64 and 8,192).
// Nothing here throws on bad input.
//
// The current baggage is a context variable: it follows async code like any other value;
// with_baggage / set_baggage bind a new one for the work started inside.
// Thread-safety: a value type; the free functions are safe from any thread.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/variable.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

class baggage {
 public:
  static constexpr std::size_t max_members = 180;  // the grammar's limit
  static constexpr std::size_t max_bytes = 8192;

  struct entry {
    std::string key;
    std::string value;     // decoded
    std::string metadata;  // properties, normalized: `p1;p2=v2` (no leading ';'), may be empty
    friend bool operator==(const entry&, const entry&) = default;
  };

  baggage() = default;

  // Parses the values of every `baggage` header of one message, in order, as one list.
  static baggage parse(std::span<const std::string_view> headers);
  static baggage parse(std::string_view header) { return parse(std::span<const std::string_view>(&header, 1)); }

  // The header value: members joined by ',', values percent-encoded. Empty when no entries.
  std::string to_header() const;

  static bool is_valid_key(std::string_view key) noexcept;

  // The value of the first entry with `key`, or nullptr.
  const std::string* get(std::string_view key) const noexcept;
  // Replaces every entry with `key` by one at the end. False (unchanged) when the key or the
  // metadata is invalid, or when the entry would not fit the limits.
  bool set(std::string_view key, std::string_view value, std::string_view metadata = {});
  bool erase(std::string_view key);

  const std::vector<entry>& entries() const noexcept { return entries_; }
  std::size_t size() const noexcept { return entries_.size(); }
  bool empty() const noexcept { return entries_.empty(); }

  friend bool operator==(const baggage&, const baggage&) = default;

 private:
  std::vector<entry> entries_;
};

namespace detail {
// The context variable holding the current baggage (one per process).
const variable<baggage>& baggage_variable() noexcept;
}  // namespace detail

// The current baggage, or nullptr when none was bound: no copy.
inline const baggage* current_baggage() noexcept { return detail::baggage_variable().get(); }

// Calls f() with `b` as the current baggage (for f and all the work it starts).
template <class F>
decltype(auto) with_baggage(baggage b, F&& f) {
  return detail::baggage_variable().run(std::move(b), std::forward<F>(f));
}
// Binds `b` as the current baggage until the scope ends.
[[nodiscard]] inline scope set_baggage(baggage b) { return detail::baggage_variable().set(std::move(b)); }

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
