// A captured log record: its message and the fields that were in force when it was made.
//
// How the fields reach a sink. spdlog 1.10's record (details::log_msg) has no room for extra
// data, and an async logger copies only its logger name and payload (the formatted message)
// into its queue. So the fields travel inside the payload, after the message:
//
//   payload = message bytes | encoded fields | footer
//   footer  = u32 message length | u32 encoded-fields length | u64 process key   (16 bytes)
//
// Each encoded field is: u8 field_type, u8 key length, the key, then the value: a string as
// u32 length + bytes; int64, uint64 and double as 8 bytes; bool as 1 byte (host byte order:
// records never leave the process). The process key is random per process, so a message
// that merely ends in similar bytes is never taken for a record (split_payload checks the key
// and that the lengths add up). The bytes are written on the calling thread when the record
// is made, and copied by spdlog with the payload: the formatter, on whatever thread it runs,
// reads only them, never the context.
//
// The formatters of spdlog_formatter.hpp split the payload again: their `%v` / "msg" is the
// message alone. A sink given any other formatter prints the encoded fields raw after the
// message, so give every sink of a logger that receives asyncctx records one of ours.
//
// The same field encoding (without message and footer) is what the Boost.Log attribute
// captures (boost_log.hpp).
// Thread-safety: record_view is a value type filled by one thread; decoding reads only the
// bytes it is given.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/field.hpp>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <fmt/format.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

// Where a record is built: the message is formatted into it, then the fields and footer are
// appended. Inline capacity covers the common record without a heap allocation.
using record_buffer = fmt::basic_memory_buffer<char, 512>;

// One decoded field: views into the bytes it was decoded from.
struct field_view {
  std::string_view key;
  field_type type = field_type::string;
  std::string_view string_value;
  std::int64_t int_value = 0;
  std::uint64_t uint_value = 0;
  double double_value = 0;
  bool bool_value = false;
};

// A decoded record. fields() are the effective fields: each key once, at the position where
// it first appeared, with the value it was given last. Reuse one record_view for many
// records: its storage is kept between decodes.
class record_view {
 public:
  std::string_view message() const noexcept { return message_; }
  const std::vector<field_view>& fields() const noexcept { return fields_; }
  // True when the record carried encoded fields (it was made by asyncctx::log).
  bool has_fields() const noexcept { return captured_; }

  // Decodes `payload`: a record made by asyncctx::log gives its message and fields; any other
  // payload is a message without fields. Never throws; malformed encodings give no fields.
  ASYNCCTX_API void decode_payload(std::string_view payload);
  // Decodes bare encoded fields (a Boost.Log attribute value); the message is left empty.
  ASYNCCTX_API void decode_fields(std::string_view encoded);

 private:
  bool append_fields(std::string_view encoded);

  std::string_view message_;
  std::vector<field_view> fields_;
  bool captured_ = false;
};

// Splits a payload made by asyncctx::log into its message and encoded fields. False (and
// nothing set) for any other payload.
ASYNCCTX_API bool split_payload(std::string_view payload, std::string_view& message,
                                std::string_view& encoded_fields) noexcept;

namespace detail {

inline constexpr std::size_t footer_size = 16;

// The random key of this process's footers.
ASYNCCTX_API std::uint64_t record_key() noexcept;

inline void append_raw(record_buffer& buf, const void* p, std::size_t n) {
  const char* c = static_cast<const char*>(p);
  buf.append(c, c + n);
}

// Key checked by the caller.
inline void encode_head(record_buffer& buf, field_type t, std::string_view key) {
  const char head[2] = {static_cast<char>(t), static_cast<char>(key.size())};
  append_raw(buf, head, 2);
  append_raw(buf, key.data(), key.size());
}

inline void encode_string(record_buffer& buf, std::string_view key, std::string_view v) {
  encode_head(buf, field_type::string, key);
  const auto n = static_cast<std::uint32_t>(v.size() > UINT32_MAX ? UINT32_MAX : v.size());
  append_raw(buf, &n, sizeof n);
  append_raw(buf, v.data(), n);
}

template <class T>
inline void encode_scalar(record_buffer& buf, field_type t, std::string_view key, T v) {
  encode_head(buf, t, key);
  append_raw(buf, &v, sizeof v);
}

inline void encode_bool(record_buffer& buf, std::string_view key, bool v) {
  encode_head(buf, field_type::boolean, key);
  const char b = v ? 1 : 0;
  append_raw(buf, &b, 1);
}

ASYNCCTX_API void encode_field(record_buffer& buf, const field& f);

}  // namespace detail
}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
