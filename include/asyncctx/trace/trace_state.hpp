// asyncctx::trace::trace_state: the W3C Trace Context `tracestate` list, validated.
//
// Invariants: the members always satisfy the Trace Context Level 2 grammar (keys are simple
// keys `[a-z][a-z0-9_\-*/]{0,255}` or multi-tenant keys `tenant@system`; values are 1–256
// printable ASCII characters other than ',' and '=' that do not end in a space), the keys are
// unique, there are at most 32 members, and the serialized form (members joined by ',', no
// optional whitespace) is at most max_length() characters. Parsing invalid input yields
// nullopt (the whole tracestate is discarded, as the specification asks); nothing throws on
// bad input. The serialized form is stored, so propagating it is a copy.
// Thread-safety: a value type.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

class trace_state {
 public:
  // How many characters of tracestate are kept (and so propagated) by default. The
  // specification asks for at least 512.
  static constexpr std::size_t default_max_length = 512;
  static constexpr std::size_t max_members = 32;
  // Entries longer than this are the first removed when the list must be truncated.
  static constexpr std::size_t large_entry_length = 128;

  trace_state() = default;

  // Parses the values of every `tracestate` header of one message, in order, as one combined
  // list (RFC 7230 field combination). nullopt when the combined list is invalid: a member
  // that does not match the grammar, a duplicate key, or more than 32 members. Empty and
  // whitespace-only members are allowed and ignored. A valid list longer than max_length is
  // truncated by whole entries: those over 128 characters first, then from the end.
  static std::optional<trace_state> parse(std::span<const std::string_view> headers,
                                          std::size_t max_length = default_max_length);
  static std::optional<trace_state> parse(std::string_view header, std::size_t max_length = default_max_length) {
    return parse(std::span<const std::string_view>(&header, 1), max_length);
  }

  static bool is_valid_key(std::string_view key) noexcept;
  static bool is_valid_value(std::string_view value) noexcept;

  // The serialized list, ready to be sent as the `tracestate` header ("" when empty).
  const std::string& header() const noexcept { return header_; }
  bool empty() const noexcept { return header_.empty(); }
  std::size_t size() const noexcept;  // number of members

  // The value of `key`, if present (a view into header()).
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  // Adds or updates `key` and moves it to the front (the mutation the specification
  // prescribes), then truncates to max_length. False (unchanged) when key or value is invalid.
  bool set(std::string_view key, std::string_view value, std::size_t max_length = default_max_length);
  // Removes `key`; false when it was not there.
  bool erase(std::string_view key);

  friend bool operator==(const trace_state&, const trace_state&) = default;

 private:
  explicit trace_state(std::string header) : header_(std::move(header)) {}
  std::string header_;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
