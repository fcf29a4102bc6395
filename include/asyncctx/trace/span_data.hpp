// asyncctx::trace span data: the OpenTelemetry data model of an ended span, as handed to
// exporters, and the exporter interface.
//
// Everything here is a plain value type (copyable, comparable where it makes sense) that an
// exporter reads; nothing refers to a context or to a live span. Ids are fixed-size byte
// arrays in network (big-endian) order, the order of their W3C / OTLP hex form. Enum values are
// the OTLP wire values. Thread-safety: as for any value type; span_exporter says its own.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

namespace detail {
inline constexpr char hex_digits[] = "0123456789abcdef";

// Value of each byte as a lowercase hex digit, or 0x100 for every other byte. Uppercase is
// not a hex digit here: the W3C formats allow only lowercase.
struct hex_table {
  std::uint16_t value[256];
  constexpr hex_table() : value() {
    for (int c = 0; c < 256; ++c) {
      value[c] = (c >= '0' && c <= '9')   ? static_cast<std::uint16_t>(c - '0')
                 : (c >= 'a' && c <= 'f') ? static_cast<std::uint16_t>(c - 'a' + 10)
                                          : std::uint16_t{0x100};
    }
  }
};
inline constexpr hex_table lower_hex{};

// Value of a lowercase hex digit, or -1.
constexpr int lower_hex_value(char c) noexcept {
  const std::uint16_t v = lower_hex.value[static_cast<unsigned char>(c)];
  return v == 0x100 ? -1 : v;
}

// Writes the 2 * n lowercase hex digits of the n bytes at `in` to `out`; usable in constant
// expressions.
constexpr void encode_lower_hex_scalar(const std::uint8_t* in, std::size_t n, char* out) noexcept {
  for (std::size_t i = 0; i < n; ++i) {
    out[2 * i] = hex_digits[in[i] >> 4];
    out[2 * i + 1] = hex_digits[in[i] & 0x0f];
  }
}

// The same, for n a multiple of 8, at run time (SSE2 on x86-64; elsewhere the scalar loop).
void encode_lower_hex(const std::uint8_t* in, std::size_t n, char* out) noexcept;

// Decodes 2 * n lowercase hex digits at `hex` into n bytes at `out`; false (out unspecified)
// when any character is not a lowercase hex digit. One table lookup per digit; usable in
// constant expressions.
constexpr bool decode_lower_hex_scalar(const char* hex, std::size_t n, std::uint8_t* out) noexcept {
  unsigned bad = 0;  // collects the 0x100 flag of any non-digit: one test at the end
  for (std::size_t i = 0; i < n; ++i) {
    const unsigned hi = lower_hex.value[static_cast<unsigned char>(hex[2 * i])];
    const unsigned lo = lower_hex.value[static_cast<unsigned char>(hex[2 * i + 1])];
    bad |= hi | lo;
    out[i] = static_cast<std::uint8_t>(hi << 4 | (lo & 0x0f));
  }
  return (bad & 0x100) == 0;
}

// The same, for n a multiple of 8, at run time: compiled, so that it may use the target's
// vector instructions (SSE2 on x86-64; elsewhere it is decode_lower_hex_scalar).
bool decode_lower_hex(const char* hex, std::size_t n, std::uint8_t* out) noexcept;

// An N-byte id: all-zero is the invalid id.
template <std::size_t N>
struct id_bytes {
  static_assert(N % 8 == 0, "is_valid reads whole 64-bit words; decode_lower_hex takes multiples of 8 bytes");
  std::array<std::uint8_t, N> bytes{};

  static constexpr std::size_t size = N;
  static constexpr std::size_t hex_size = 2 * N;

  constexpr bool is_valid() const noexcept {
    if (!std::is_constant_evaluated()) {
      std::uint64_t any = 0;
      for (std::size_t i = 0; i < N; i += 8) {
        std::uint64_t w;
        std::memcpy(&w, bytes.data() + i, 8);
        any |= w;
      }
      return any != 0;
    }
    for (std::uint8_t b : bytes)
      if (b != 0) return true;
    return false;
  }

  // Writes exactly hex_size lowercase hex digits to out (no terminator).
  constexpr void to_hex(char* out) const noexcept {
    if (std::is_constant_evaluated()) {
      encode_lower_hex_scalar(bytes.data(), N, out);
    } else {
      encode_lower_hex(bytes.data(), N, out);
    }
  }

  std::string to_hex() const {
    std::string s(hex_size, '0');
    to_hex(s.data());
    return s;
  }

  // Parses exactly hex_size lowercase hex digits into out; false (out unchanged) otherwise.
  // The all-zero id parses: whether it is acceptable is the caller's rule (is_valid()).
  static constexpr bool parse_hex(std::string_view hex, std::array<std::uint8_t, N>& out) noexcept {
    if (hex.size() != hex_size) return false;
    std::array<std::uint8_t, N> tmp{};
    // An if, not `const bool ok = is_constant_evaluated() ? … : …`: a const integral
    // variable's initializer is manifestly constant-evaluated, where the test is always true.
    if (std::is_constant_evaluated()) {
      if (!decode_lower_hex_scalar(hex.data(), N, tmp.data())) return false;
    } else if (!decode_lower_hex(hex.data(), N, tmp.data())) {
      return false;
    }
    out = tmp;
    return true;
  }

  friend constexpr bool operator==(const id_bytes&, const id_bytes&) noexcept = default;
};
}  // namespace detail

// 16-byte trace id. All-zero is invalid.
struct trace_id : detail::id_bytes<16> {
  // Exactly 32 lowercase hex digits, else nullopt. The all-zero id parses (check is_valid()).
  static constexpr std::optional<trace_id> from_hex(std::string_view hex) noexcept {
    trace_id id;
    if (!parse_hex(hex, id.bytes)) return std::nullopt;
    return id;
  }
  friend constexpr bool operator==(const trace_id&, const trace_id&) noexcept = default;
};

// 8-byte span id. All-zero is invalid (and, as a parent, means "no parent").
struct span_id : detail::id_bytes<8> {
  // Exactly 16 lowercase hex digits, else nullopt. The all-zero id parses (check is_valid()).
  static constexpr std::optional<span_id> from_hex(std::string_view hex) noexcept {
    span_id id;
    if (!parse_hex(hex, id.bytes)) return std::nullopt;
    return id;
  }
  friend constexpr bool operator==(const span_id&, const span_id&) noexcept = default;
};

// W3C trace-flags bits.
inline constexpr std::uint8_t trace_flag_sampled = 0x01;
inline constexpr std::uint8_t trace_flag_random = 0x02;  // Trace Context Level 2

// OTLP SpanKind values (0, unspecified, is never produced).
enum class span_kind : std::uint8_t { internal = 1, server = 2, client = 3, producer = 4, consumer = 5 };

// OTLP Status.StatusCode values.
enum class status_code : std::uint8_t { unset = 0, ok = 1, error = 2 };

// OpenTelemetry attribute values: primitives and homogeneous arrays of them.
using attribute_value = std::variant<std::string, bool, std::int64_t, double, std::vector<std::string>,
                                     std::vector<bool>, std::vector<std::int64_t>, std::vector<double>>;

struct attribute {
  std::string key;
  attribute_value value;
  friend bool operator==(const attribute&, const attribute&) = default;
};

struct span_event {
  std::string name;
  std::uint64_t time_unix_nano = 0;
  std::vector<attribute> attributes;
  std::uint32_t dropped_attributes = 0;
  friend bool operator==(const span_event&, const span_event&) = default;
};

struct span_link {
  trace_id trace;
  span_id span;
  std::string trace_state;  // W3C tracestate, serialized
  std::uint32_t flags = 0;  // W3C trace flags of the linked span
  std::vector<attribute> attributes;
  std::uint32_t dropped_attributes = 0;
  friend bool operator==(const span_link&, const span_link&) = default;
};

// The entity producing spans; carries at least service.name.
struct resource {
  std::vector<attribute> attributes;
  friend bool operator==(const resource&, const resource&) = default;
};

// The library (tracer) that made a span.
struct instrumentation_scope {
  std::string name;
  std::string version;
  std::vector<attribute> attributes;
  friend bool operator==(const instrumentation_scope&, const instrumentation_scope&) = default;
};

// An ended span, as handed to exporters.
struct span_data {
  trace_id trace;
  span_id span;
  span_id parent;                 // all-zero: a root span
  bool parent_is_remote = false;  // the parent came from propagation (another process)
  std::string trace_state;        // W3C tracestate, serialized
  std::uint8_t trace_flags = 0;   // W3C flags: trace_flag_sampled, trace_flag_random
  std::string name;
  span_kind kind = span_kind::internal;
  std::uint64_t start_unix_nano = 0;
  std::uint64_t end_unix_nano = 0;
  std::vector<attribute> attributes;
  std::vector<span_event> events;
  std::vector<span_link> links;
  status_code status = status_code::unset;
  std::string status_message;  // only meaningful with status_code::error
  std::uint32_t dropped_attributes = 0;
  std::uint32_t dropped_events = 0;
  std::uint32_t dropped_links = 0;
  std::shared_ptr<const resource> res;                 // shared by every span of a provider
  std::shared_ptr<const instrumentation_scope> scope;  // shared by every span of a tracer
};

// Where ended spans go. A processor calls export_spans from one thread at a time (the simple
// processor: the thread that ends the span, serialized by the processor; the batch processor:
// its own export thread), and never after shutdown. force_flush and shutdown may be called from
// any thread, also while export_spans runs; an exporter must return from them within about
// their timeout.
class span_exporter {
 public:
  enum class result { success, failure };

  virtual ~span_exporter() = default;

  virtual result export_spans(std::span<const span_data> batch) = 0;
  virtual bool force_flush(std::chrono::milliseconds /*timeout*/) { return true; }
  virtual bool shutdown(std::chrono::milliseconds timeout) = 0;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
