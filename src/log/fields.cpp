// Keys, the context variable of log fields, and the field encoding of records (record.hpp).
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/field.hpp>
#include <asyncctx/log/record.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <variant>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

void check_key(std::string_view key) {
  if (is_valid_key(key)) [[likely]]
    return;
  // Name the key in the message, printable whatever its bytes (and cut to a readable size).
  std::string shown;
  const std::size_t limit = 80;
  for (std::size_t i = 0; i < key.size() && i < limit; ++i) {
    const auto c = static_cast<unsigned char>(key[i]);
    if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\') {
      shown += static_cast<char>(c);
    } else {
      constexpr char hex[] = "0123456789abcdef";
      shown += "\\x";
      shown += hex[c >> 4];
      shown += hex[c & 0xf];
    }
  }
  if (key.size() > limit) shown += "...";
  throw std::invalid_argument("asyncctx::log: invalid field key \"" + shown + "\" (" + std::to_string(key.size()) +
                              " bytes; a key is 1-64 characters of [A-Za-z0-9_.-])");
}

const variable<fields>& fields_variable() {
  static const variable<fields> var(variable<fields>::options{"asyncctx.log.fields", std::nullopt});
  return var;
}

namespace detail {

std::uint64_t record_key() noexcept {
  static const std::uint64_t key = [] {
    std::uint64_t seed = 0;
    try {
      std::random_device rd;
      seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    } catch (...) {
      // No entropy source: the clock and an address still differ between runs.
    }
    seed ^= static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<std::uintptr_t>(&seed);
    seed += 0x9e3779b97f4a7c15ULL;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    return seed ^ (seed >> 31);
  }();
  return key;
}

void encode_field(record_buffer& buf, const field& f) {
  const std::string& key = f.key();
  std::visit(
      [&](const auto& v) {
        using V = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<V, std::string>) {
          encode_string(buf, key, v);
        } else if constexpr (std::is_same_v<V, bool>) {
          encode_bool(buf, key, v);
        } else if constexpr (std::is_same_v<V, std::int64_t>) {
          encode_scalar(buf, field_type::int64, key, v);
        } else if constexpr (std::is_same_v<V, std::uint64_t>) {
          encode_scalar(buf, field_type::uint64, key, v);
        } else {
          encode_scalar(buf, field_type::float64, key, v);
        }
      },
      f.value().get());
}

}  // namespace detail

bool split_payload(std::string_view payload, std::string_view& message, std::string_view& encoded_fields) noexcept {
  if (payload.size() < detail::footer_size) return false;
  const char* footer = payload.data() + payload.size() - detail::footer_size;
  std::uint32_t message_length = 0;
  std::uint32_t fields_length = 0;
  std::uint64_t key = 0;
  std::memcpy(&message_length, footer, 4);
  std::memcpy(&fields_length, footer + 4, 4);
  std::memcpy(&key, footer + 8, 8);
  if (key != detail::record_key()) return false;
  if (std::uint64_t{message_length} + fields_length + detail::footer_size != payload.size()) return false;
  message = payload.substr(0, message_length);
  encoded_fields = payload.substr(message_length, fields_length);
  return true;
}

bool record_view::append_fields(std::string_view encoded) {
  const std::size_t first = fields_.size();
  std::size_t at = 0;
  auto take = [&](void* out, std::size_t n) {
    if (encoded.size() - at < n) return false;
    std::memcpy(out, encoded.data() + at, n);
    at += n;
    return true;
  };
  while (at < encoded.size()) {
    std::uint8_t head[2];
    if (!take(head, 2)) break;
    if (encoded.size() - at < head[1]) break;
    field_view fv;
    fv.key = encoded.substr(at, head[1]);
    at += head[1];
    // Keys are written unescaped: never trust one the encoder would not have made.
    if (!is_valid_key(fv.key)) {
      fields_.resize(first);
      return false;
    }
    fv.type = static_cast<field_type>(head[0]);
    bool ok = true;
    switch (fv.type) {
      case field_type::string: {
        std::uint32_t n = 0;
        ok = take(&n, 4) && encoded.size() - at >= n;
        if (ok) {
          fv.string_value = encoded.substr(at, n);
          at += n;
        }
        break;
      }
      case field_type::int64:
        ok = take(&fv.int_value, 8);
        break;
      case field_type::uint64:
        ok = take(&fv.uint_value, 8);
        break;
      case field_type::float64:
        ok = take(&fv.double_value, 8);
        break;
      case field_type::boolean: {
        char b = 0;
        ok = take(&b, 1);
        fv.bool_value = b != 0;
        break;
      }
      default:
        ok = false;
    }
    if (!ok) {
      fields_.resize(first);
      return false;
    }
    // Set semantics: a key seen before keeps its place and takes the later value.
    bool replaced = false;
    for (std::size_t i = 0; i < fields_.size(); ++i) {
      if (fields_[i].key == fv.key) {
        fields_[i] = fv;
        replaced = true;
        break;
      }
    }
    if (!replaced) fields_.push_back(fv);
  }
  if (at != encoded.size()) {
    fields_.resize(first);
    return false;
  }
  return true;
}

void record_view::decode_payload(std::string_view payload) {
  fields_.clear();
  std::string_view message;
  std::string_view encoded;
  captured_ = split_payload(payload, message, encoded);
  if (!captured_) {
    message_ = payload;
    return;
  }
  message_ = message;
  append_fields(encoded);
}

void record_view::decode_fields(std::string_view encoded) {
  fields_.clear();
  message_ = {};
  captured_ = true;
  append_fields(encoded);
}

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
