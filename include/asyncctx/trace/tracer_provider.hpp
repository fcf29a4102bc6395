// asyncctx::trace::tracer_provider and tracer: where spans come from (OpenTelemetry's
// TracerProvider and Tracer).
//
// A provider owns the resource (at least service.name), the sampler, the span limits and the
// processors, all fixed at creation. tracer(name, version) gives a tracer for one
// instrumentation scope; tracer::start_span starts a span whose parent is options.parent when
// given, else the current span of the context (current_span.hpp), else none (a new trace).
// The span is not made active: use with_span / activate for that.
//
// start_span returns a non-recording span (no data, next to no cost) when the sampler drops
// it, inside trace::suppress, after the provider's shutdown, and from a default-constructed
// tracer. Ids of a new trace are random and carry the W3C random flag; a child keeps its
// parent's trace id, random flag and tracestate.
// Thread-safety: every member may be called from any thread at once. shutdown() happens once;
// the destructor of the last owner shuts down.
#pragma once

#include <asyncctx/trace/sampler.hpp>
#include <asyncctx/trace/span.hpp>
#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/span_processor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct span_limits {
  std::size_t max_attributes = 128;
  std::size_t max_events = 128;
  std::size_t max_links = 128;
  std::size_t max_attributes_per_event = 128;
  std::size_t max_attributes_per_link = 128;
};

// service.name = unknown_service, and the telemetry.sdk.* attributes.
resource default_resource();

struct tracer_provider_options {
  resource res = default_resource();
  std::shared_ptr<const sampler> span_sampler = parent_based_sampler(always_on_sampler());
  std::vector<std::shared_ptr<span_processor>> processors = {};
  span_limits limits = {};
};

namespace detail {
struct provider_state;
}

class tracer {
 public:
  // A tracer that makes only non-recording spans.
  tracer() noexcept = default;

  span start_span(std::string_view name, span_options options = {}) const;

  const std::shared_ptr<const instrumentation_scope>& scope() const noexcept { return scope_; }

 private:
  friend class tracer_provider;
  tracer(std::shared_ptr<detail::provider_state> provider, std::shared_ptr<const instrumentation_scope> scope) noexcept
      : provider_(std::move(provider)), scope_(std::move(scope)) {}
  std::shared_ptr<detail::provider_state> provider_;
  std::shared_ptr<const instrumentation_scope> scope_;
};

class tracer_provider {
 public:
  explicit tracer_provider(tracer_provider_options options = {});
  ~tracer_provider();
  tracer_provider(const tracer_provider&) = delete;
  tracer_provider& operator=(const tracer_provider&) = delete;

  trace::tracer tracer(std::string_view name, std::string_view version = {}) const;

  const resource& get_resource() const noexcept;
  std::shared_ptr<const resource> resource_ptr() const noexcept;

  // Asks every processor to export what it holds; true when all did within the timeout.
  bool force_flush(std::chrono::milliseconds timeout = std::chrono::seconds(30));
  // Shuts every processor down (the first call only; later ones return true). Spans started
  // after it are non-recording.
  bool shutdown(std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::shared_ptr<detail::provider_state> state_;
};

// The process-wide provider used by trace::start_span (none at first: spans are then
// non-recording). Safe to change at any time; spans already started keep their provider.
void set_tracer_provider(std::shared_ptr<tracer_provider> provider);
std::shared_ptr<tracer_provider> get_tracer_provider();

// Starts a span with the global provider's "asyncctx" tracer.
span start_span(std::string_view name, span_options options = {});

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
