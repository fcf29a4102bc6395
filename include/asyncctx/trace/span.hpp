// asyncctx::trace::span and span_ref: a live span (OpenTelemetry's Span).
//
// span_ref is a shared handle to a span: copying it is cheap, and an empty span_ref (no span)
// accepts every call and does nothing. `span` is the owner that tracer::start_span returns: a
// move-only span_ref that ends the span when it is destroyed, if nothing ended it before.
//
// A span ends exactly once: the first end() (from any handle, on any thread) records the end
// time and hands the span to the processors; every later call, and every change made after
// the end, is ignored. A non-recording span (dropped by the sampler, started under
// trace::suppress, or wrapping a remote parent) has a span context but keeps no data.
// Thread-safety: every member may be called from any thread at once (changes are serialized
// by a per-span mutex; a non-recording span takes no lock).
#pragma once

#include <asyncctx/trace/span_context.hpp>
#include <asyncctx/trace/span_data.hpp>

#include <concepts>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

namespace detail {
struct span_state;

// Attribute values from the usual C++ types: strings, bool, any integer (as int64), any
// floating-point type (as double), and vectors of those.
template <class V>
attribute_value to_attribute_value(V&& v) {
  using D = std::remove_cvref_t<V>;
  if constexpr (std::is_same_v<D, attribute_value>) {
    return std::forward<V>(v);
  } else if constexpr (std::is_same_v<D, bool>) {
    return attribute_value(std::in_place_type<bool>, v);
  } else if constexpr (std::is_integral_v<D>) {
    return attribute_value(std::in_place_type<std::int64_t>, static_cast<std::int64_t>(v));
  } else if constexpr (std::is_floating_point_v<D>) {
    return attribute_value(std::in_place_type<double>, static_cast<double>(v));
  } else if constexpr (std::is_convertible_v<V, std::string_view>) {
    return attribute_value(std::in_place_type<std::string>, std::string_view(v));
  } else {
    return attribute_value(std::forward<V>(v));
  }
}
}  // namespace detail

// How a span starts (tracer::start_span).
struct span_options {
  span_kind kind = span_kind::internal;
  // The parent, when given and valid (e.g. extracted from a request); otherwise the current
  // span of the context is the parent.
  std::optional<span_context> parent = std::nullopt;
  // Start a new trace even when there is a current span.
  bool root = false;
  std::vector<attribute> attributes = {};
  std::vector<span_link> links = {};
  std::uint64_t start_unix_nano = 0;  // 0: now
};

class span_ref {
 public:
  span_ref() noexcept = default;

  // The span's context; an invalid (all-zero) one for an empty handle.
  const span_context& context() const noexcept;
  // False for an empty handle, a non-recording span, and after the end.
  bool is_recording() const noexcept;
  bool has_ended() const noexcept;
  explicit operator bool() const noexcept { return state_ != nullptr; }

  // Sets (or replaces) an attribute. Beyond the provider's attribute limit, new keys are
  // counted as dropped.
  template <class V>
  void set_attribute(std::string_view key, V&& value) const {
    if (is_recording()) set_attribute_value(key, detail::to_attribute_value(std::forward<V>(value)));
  }
  void add_event(std::string_view name, std::vector<attribute> attributes = {}, std::uint64_t time_unix_nano = 0) const;
  void add_link(const span_context& linked, std::vector<attribute> attributes = {}) const;
  // OpenTelemetry's rules: `ok` is final; `error` keeps its message; `unset` changes nothing.
  void set_status(status_code code, std::string_view message = {}) const;
  void update_name(std::string_view name) const;
  // Ends the span (the first call only). 0: now.
  void end(std::uint64_t end_unix_nano = 0) const noexcept;

  friend bool operator==(const span_ref& a, const span_ref& b) noexcept { return a.state_ == b.state_; }

  // Internal: the shared state (what the active-span variable holds).
  explicit span_ref(std::shared_ptr<detail::span_state> state) noexcept : state_(std::move(state)) {}
  const std::shared_ptr<detail::span_state>& state() const noexcept { return state_; }

 protected:
  void set_attribute_value(std::string_view key, attribute_value value) const;
  std::shared_ptr<detail::span_state> state_;
};

class span : public span_ref {
 public:
  span() noexcept = default;
  explicit span(std::shared_ptr<detail::span_state> state) noexcept : span_ref(std::move(state)) {}
  span(span&&) noexcept = default;
  span& operator=(span&& other) noexcept {
    if (this != &other) {
      end();
      state_ = std::move(other.state_);
    }
    return *this;
  }
  span(const span&) = delete;
  span& operator=(const span&) = delete;
  ~span() { end(); }

  // A handle that does not end the span when it goes.
  span_ref ref() const noexcept { return span_ref(state_); }
};

// A non-recording span carrying `context` (e.g. a remote parent from extraction), so that
// it can be made the current span and spans started inside take it as their parent.
span_ref non_recording_span(span_context context);

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
