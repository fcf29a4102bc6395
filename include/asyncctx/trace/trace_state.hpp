// asyncctx::trace::trace_state: the W3C Trace Context `tracestate` list, validated.
//
// Invariants: the members always satisfy the Trace Context Level 2 grammar (keys are simple
// keys `[a-z][a-z0-9_\-*/]{0,255}` or multi-tenant keys `tenant@system`; values are 1–256
// printable ASCII characters other than ',' and '=' that do not end in a space), the keys are
// unique, there are at most 32 members, and the serialized form (members joined by ',', no
// optional whitespace) is at most max_length() characters. Parsing invalid input yields
// nullopt (the whole tracestate is discarded, as the specification asks); nothing throws on
// bad input. The serialized form is stored, so propagating it is a copy; a list of up to
// inline_capacity characters (one or two vendor entries, the usual case) is stored in the
// object itself, so parsing, copying and propagating it never allocates.
// Thread-safety: a value type.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
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

  // Lists up to this long are stored inline (sizeof(trace_state) is 64).
  static constexpr std::size_t inline_capacity = 56;

  // User-provided (not = default), so that a const trace_state may be default-initialized
  // although storage_ is left unset.
  trace_state() noexcept {}  // NOLINT(modernize-use-equals-default)
  trace_state(const trace_state& other) { assign(other.header()); }
  trace_state(trace_state&& other) noexcept : storage_(other.storage_), size_(other.size_) { other.size_ = 0; }
  trace_state& operator=(const trace_state& other) {
    if (this != &other) assign(other.header());
    return *this;
  }
  trace_state& operator=(trace_state&& other) noexcept {
    if (this != &other) {
      release();
      storage_ = other.storage_;
      size_ = other.size_;
      other.size_ = 0;
    }
    return *this;
  }
  ~trace_state() { release(); }

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

  // The serialized list, ready to be sent as the `tracestate` header ("" when empty). Valid
  // until this object is changed or destroyed.
  std::string_view header() const noexcept { return {data(), size_}; }
  bool empty() const noexcept { return size_ == 0; }
  std::size_t size() const noexcept;  // number of members

  // The value of `key`, if present (a view into header()).
  std::optional<std::string_view> get(std::string_view key) const noexcept;

  // Adds or updates `key` and moves it to the front (the mutation the specification
  // prescribes), then truncates to max_length. False (unchanged) when key or value is invalid.
  bool set(std::string_view key, std::string_view value, std::size_t max_length = default_max_length);
  // Removes `key`; false when it was not there.
  bool erase(std::string_view key);

  friend bool operator==(const trace_state& a, const trace_state& b) noexcept { return a.header() == b.header(); }

 private:
  struct builder;  // writes a list in place (src/trace/trace_context.cpp)

  // Invariant: the list is storage_.chars[0, size_) when size_ <= inline_capacity, else
  // storage_.heap[0, size_), a new[] block this object owns. A list is at most 32 members of
  // 513 characters, so size_ always fits.
  union storage {
    char chars[inline_capacity];
    char* heap;
  };
  bool on_heap() const noexcept { return size_ > inline_capacity; }
  const char* data() const noexcept { return on_heap() ? storage_.heap : storage_.chars; }
  void release() noexcept {
    if (on_heap()) delete[] storage_.heap;
    size_ = 0;
  }
  // Makes the list n characters long (contents unspecified) and returns where to write them.
  char* resize_for_overwrite(std::size_t n);
  // Replaces the list by `list` (which may be a view of this object's own list).
  void assign(std::string_view list);

  storage storage_;  // not initialized: only the first size_ characters are ever read
  std::uint32_t size_ = 0;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
