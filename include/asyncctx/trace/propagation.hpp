// W3C propagation over any carrier: extract `traceparent`, `tracestate` and `baggage` from an
// incoming message, inject them into an outgoing one.
//
// A carrier is reached through two small interfaces, so any header container works (Beast,
// a std::map, gRPC metadata…):
//   getter: `c.get_all(name)` or a callable `c(name)`, returning a range of every value of the
//           header field `name` (matched case-insensitively, as HTTP does), in message order;
//   setter: `c.set(name, value)` or a callable `c(name, value)`, replacing the field.
// header_carrier below is a ready-made one.
//
// Extraction follows the specifications: one valid `traceparent` gives the remote parent; a
// missing, invalid or duplicated `traceparent` gives none (a new trace starts) and then
// `tracestate` is not parsed; an invalid `tracestate` is dropped on its own; baggage is
// independent. Nothing here throws on bad input.
// Injection writes the current span's context (a version-00 traceparent, the tracestate when
// not empty) and the current baggage (when not empty).
// Thread-safety: free functions over the caller's carrier and the calling thread's context.
#pragma once

#include <asyncctx/scope.hpp>
#include <asyncctx/trace/baggage.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/span_context.hpp>
#include <asyncctx/trace/traceparent.hpp>

#include <array>
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

// Which formats extract and inject handle (OTEL_PROPAGATORS: tracecontext, baggage).
enum propagation_formats : unsigned { trace_context_format = 1u, baggage_format = 2u, all_formats = 3u };

struct extracted_context {
  std::optional<span_context> parent;  // remote (parent->remote == true), valid, when present
  trace::baggage baggage;
};

// The field values of one message. Every span lists all values of that field, in order.
extracted_context extract_fields(std::span<const std::string_view> traceparent,
                                 std::span<const std::string_view> tracestate,
                                 std::span<const std::string_view> baggage_fields, unsigned formats = all_formats);

namespace detail {
template <class C>
concept has_get_all = requires(const C& c, std::string_view n) { c.get_all(n); };
template <class C>
concept has_set = requires(C& c, std::string_view n, std::string_view v) { c.set(n, v); };

template <class G>
decltype(auto) get_field(const G& g, std::string_view name) {
  if constexpr (has_get_all<G>) {
    return g.get_all(name);
  } else {
    return g(name);
  }
}

// A range of string-like values seen as string_views, without allocating for up to 4.
class field_views {
 public:
  template <class R>
  explicit field_views(const R& range) {
    for (const auto& v : range) {
      const std::string_view sv(v);
      if (n_ < small_.size()) {
        small_[n_++] = sv;
      } else {
        if (big_.empty()) big_.assign(small_.begin(), small_.end());
        big_.push_back(sv);
      }
    }
  }
  std::span<const std::string_view> get() const noexcept {
    return big_.empty() ? std::span<const std::string_view>(small_.data(), n_)
                        : std::span<const std::string_view>(big_);
  }

 private:
  std::array<std::string_view, 4> small_{};
  std::size_t n_ = 0;
  std::vector<std::string_view> big_;
};
}  // namespace detail

// Extracts from a carrier's getter.
template <class Getter>
extracted_context extract(const Getter& getter, unsigned formats = all_formats) {
  auto&& tp = detail::get_field(getter, "traceparent");
  auto&& ts = detail::get_field(getter, "tracestate");
  auto&& bg = detail::get_field(getter, "baggage");
  const detail::field_views tpv(tp), tsv(ts), bgv(bg);
  return extract_fields(tpv.get(), tsv.get(), bgv.get(), formats);
}

// Writes the fields for `context` and `bag` (either may be absent: an invalid context or a
// null / empty baggage writes nothing for it).
template <class Setter>
void inject(const span_context& context, const trace::baggage* bag, Setter&& setter, unsigned formats = all_formats) {
  auto set = [&setter](std::string_view name, std::string_view value) {
    if constexpr (detail::has_set<std::remove_cvref_t<Setter>>) {
      setter.set(name, value);
    } else {
      setter(name, value);
    }
  };
  if ((formats & trace_context_format) != 0 && context.is_valid()) {
    char tp[traceparent_size];
    format_traceparent(context.trace, context.span, context.flags, tp);
    set("traceparent", std::string_view(tp, traceparent_size));
    if (!context.state.empty()) set("tracestate", context.state.header());
  }
  if ((formats & baggage_format) != 0 && bag != nullptr && !bag->empty()) set("baggage", bag->to_header());
}

// Writes the current span's context and the current baggage.
template <class Setter>
void inject(Setter&& setter, unsigned formats = all_formats) {
  const auto* active = trace::detail::active_span_variable().get();
  const span_context* context = (active != nullptr && *active) ? &span_ref(*active).context() : nullptr;
  static const span_context none;
  inject(context != nullptr ? *context : none, current_baggage(), std::forward<Setter>(setter), formats);
}

// Calls f() with the extracted parent as the current span (a non-recording span carrying it,
// so spans started inside are its children) and the extracted baggage as the current baggage.
template <class F>
decltype(auto) with_extracted(const extracted_context& x, F&& f) {
  return with_baggage(x.baggage, [&]() -> decltype(auto) {
    return with_span(x.parent ? non_recording_span(*x.parent) : span_ref(), std::forward<F>(f));
  });
}

// A simple carrier: header fields as name/value pairs, names compared case-insensitively.
class header_carrier {
 public:
  std::vector<std::pair<std::string, std::string>> fields;

  std::vector<std::string_view> get_all(std::string_view name) const;
  // Replaces every field called `name` by one with `value`.
  void set(std::string_view name, std::string_view value);
  // Appends a field (keeps existing ones with the same name).
  void add(std::string_view name, std::string_view value) { fields.emplace_back(name, value); }
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
