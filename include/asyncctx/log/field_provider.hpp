// Field providers and the mixin: fields computed from the context for each record.
//
// A provider is called for every record whose level is enabled, on the thread that makes
// the record, in the context it is made in; it adds fields through a field_writer (which
// writes them straight into the record: no allocation for the common record). Providers run
// in registration order, before the context's own fields (log::with), which may override
// them. A provider that throws is reported on the library's error channel
// (error_kind::log_field_provider); what it added is dropped and the record is still written.
//
// One provider is registered from the start: request_fields (id request_provider_id), which
// writes the HTTP request of asyncctx::asio::current_request() (request_id, method, path).
// Other integrations (tracing) register theirs with add_field_provider.
//
// The mixin (pino's `mixin`) is one hook, called after the context's fields with the record's
// level, only for enabled records; its fields override the context's.
//
// Thread-safety: add_field_provider, remove_field_provider and set_mixin may be called from
// any thread at any time. A record being made while a provider is removed may still call it
// (the registration is read once per record, with no lock); one made after the call returns
// does not.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/field.hpp>
#include <asyncctx/log/fields.hpp>
#include <asyncctx/log/level.hpp>
#include <asyncctx/log/record.hpp>

#include <concepts>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

// Appends fields to the record being made. Each add() checks its key (std::invalid_argument
// naming it, when invalid) before writing anything.
class field_writer {
 public:
  explicit field_writer(record_buffer& buf) noexcept : buf_(&buf) {}

  void add(std::string_view key, std::string_view v) {
    check_key(key);
    detail::encode_string(*buf_, key, v);
  }
  void add(std::string_view key, const char* v) { add(key, std::string_view(v != nullptr ? v : "")); }
  void add(std::string_view key, const std::string& v) { add(key, std::string_view(v)); }
  void add(std::string_view key, bool v) {
    check_key(key);
    detail::encode_bool(*buf_, key, v);
  }
  template <std::signed_integral I>
    requires(!std::same_as<I, bool> && !std::same_as<I, char>)
  void add(std::string_view key, I v) {
    check_key(key);
    detail::encode_scalar(*buf_, field_type::int64, key, static_cast<std::int64_t>(v));
  }
  template <std::unsigned_integral U>
    requires(!std::same_as<U, bool>)
  void add(std::string_view key, U v) {
    check_key(key);
    detail::encode_scalar(*buf_, field_type::uint64, key, static_cast<std::uint64_t>(v));
  }
  template <std::floating_point F>
  void add(std::string_view key, F v) {
    check_key(key);
    detail::encode_scalar(*buf_, field_type::float64, key, static_cast<double>(v));
  }
  void add(const field& f) { detail::encode_field(*buf_, f); }
  void add(const fields& fs) {
    for (const field& f : fs) detail::encode_field(*buf_, f);
  }

 private:
  record_buffer* buf_;
};

using field_provider = std::function<void(field_writer&)>;
using mixin_function = std::function<void(level, field_writer&)>;
using provider_id = std::uint64_t;

// The id of the built-in request provider (request_fields).
inline constexpr provider_id request_provider_id = 1;

// Registers `provider` after the others; `name` identifies it in error reports. Returns its
// id, never 0. Throws std::invalid_argument for an empty provider.
ASYNCCTX_API provider_id add_field_provider(std::string name, field_provider provider);

// Unregisters a provider (also the built-in one). False when no provider has that id.
ASYNCCTX_API bool remove_field_provider(provider_id id);

// Installs the mixin (an empty function removes it) and returns the previous one.
ASYNCCTX_API mixin_function set_mixin(mixin_function mixin);

// The built-in provider: the current HTTP request (asyncctx::asio::current_request()), as
// request_id, and method and path (the target without its query) when the server set them.
// Adds nothing outside a request.
ASYNCCTX_API void request_fields(field_writer& out);

namespace detail {
// Appends to `buf` (which holds the formatted message, message_length bytes) the record's
// fields: providers, the context's fields, the mixin, then `extra`; then the footer. Never
// throws except std::bad_alloc from growing the buffer.
ASYNCCTX_API void capture_fields(record_buffer& buf, std::size_t message_length, level lvl, const field* extra,
                                 std::size_t extra_count);
// Appends the fields alone (no footer): what the Boost.Log attribute captures.
ASYNCCTX_API void capture_bare_fields(record_buffer& buf, level lvl);
}  // namespace detail

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
