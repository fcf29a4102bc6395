// asyncctx::log::field: one typed log field, a key and a value.
//
// A key is 1-64 characters of [A-Za-z0-9_.-]; anything else (empty, too long, spaces,
// quotes, control characters, non-ASCII bytes) is refused when the field is made, with an
// std::invalid_argument that names the key. Keys therefore never need escaping in any
// output. A value is a string (any bytes: outputs escape it), a signed or unsigned 64-bit
// integer, a double or a bool; the type is kept, so JSON output writes 7 as a number and
// "7" as a string.
// Thread-safety: a field is a value type; const members are safe from any thread.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

inline constexpr std::size_t max_key_length = 64;

// The type of a field's value, as recorded and as written.
enum class field_type : std::uint8_t { string = 1, int64 = 2, uint64 = 3, float64 = 4, boolean = 5 };

// True for the characters a key may contain: [A-Za-z0-9_.-].
constexpr bool is_key_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// True when `key` is 1-64 characters of [A-Za-z0-9_.-].
constexpr bool is_valid_key(std::string_view key) noexcept {
  if (key.empty() || key.size() > max_key_length) return false;
  for (const char c : key) {
    if (!is_key_char(c)) return false;
  }
  return true;
}

// Throws std::invalid_argument naming `key` (escaped) unless is_valid_key(key).
ASYNCCTX_API void check_key(std::string_view key);

// A field's value: exactly one of the five types, fixed when it is made. Integers keep their
// signedness (any signed type becomes int64, any unsigned one uint64); bool is bool, never an
// integer; a character pointer or string-like value is a string (copied).
class field_value {
 public:
  using storage = std::variant<std::string, std::int64_t, std::uint64_t, double, bool>;

  field_value(std::string v) noexcept : v_(std::move(v)) {}
  field_value(std::string_view v) : v_(std::string(v)) {}
  field_value(const char* v) : v_(std::string(v != nullptr ? v : "")) {}
  field_value(bool v) noexcept : v_(v) {}
  template <std::signed_integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  field_value(I v) noexcept : v_(static_cast<std::int64_t>(v)) {}
  template <std::unsigned_integral U>
    requires(!std::same_as<U, bool>)
  field_value(U v) noexcept : v_(static_cast<std::uint64_t>(v)) {}
  template <std::floating_point F>
  field_value(F v) noexcept : v_(static_cast<double>(v)) {}

  field_type type() const noexcept { return static_cast<field_type>(v_.index() + 1); }
  const storage& get() const noexcept { return v_; }

  friend bool operator==(const field_value&, const field_value&) = default;

 private:
  storage v_;
};

// A key and a value. The key is checked here: a field with an invalid key cannot exist.
class field {
 public:
  field(std::string_view key, field_value value) : key_(key), value_(std::move(value)) { check_key(key_); }

  const std::string& key() const noexcept { return key_; }
  const field_value& value() const noexcept { return value_; }

  friend bool operator==(const field&, const field&) = default;

 private:
  std::string key_;
  field_value value_;
};

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
