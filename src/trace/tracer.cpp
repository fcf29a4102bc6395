// Spans, tracers and tracer providers.
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/spin_lock.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/id_generator.hpp>
#include <asyncctx/trace/suppress.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <mutex>
#include <string>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace detail {

struct provider_state {
  std::shared_ptr<const resource> res;
  std::shared_ptr<const sampler> span_sampler;
  std::vector<std::shared_ptr<span_processor>> processors;
  span_limits limits;
  std::atomic<bool> shut_down{false};
  std::mutex shutdown_mutex;
};

// A span's shared state. `context` and `recording` never change after creation. A recording
// span's state is a recording_state (a non-recording span allocates only this small part).
struct span_state {
  span_context context;
  bool recording = false;
  std::atomic<bool> ended{false};
};

// `data` is guarded by `mutex` until `ended` is set, after which it has been handed to the
// processors. The critical sections are a few stores or one attribute's insertion, shorter
// than a std::mutex's own lock and unlock, so the lock is a spin lock.
struct recording_state : span_state {
  asyncctx::detail::spin_lock mutex;
  span_data data;
  std::shared_ptr<provider_state> provider;
};

const variable<std::shared_ptr<span_state>>& active_span_variable() noexcept {
  static const variable<std::shared_ptr<span_state>> v{{.name = "asyncctx.trace.span"}};
  return v;
}

const variable<bool>& suppress_variable() noexcept {
  static const variable<bool> v{{.name = "asyncctx.trace.suppress"}};
  return v;
}

}  // namespace detail

namespace {

std::uint64_t now_unix_nano() noexcept {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
}

const span_context& invalid_context() noexcept {
  static const span_context c;
  return c;
}

// Sets or replaces `key`; counts a new key beyond `limit` as dropped.
void put_attribute(std::vector<attribute>& attributes, std::uint32_t& dropped, std::size_t limit, std::string_view key,
                   attribute_value&& value) {
  for (attribute& a : attributes) {
    if (a.key == key) {
      a.value = std::move(value);
      return;
    }
  }
  if (attributes.size() >= limit) {
    ++dropped;
    return;
  }
  attribute& a = attributes.emplace_back();  // built in place: no temporary to move and destroy
  a.key.assign(key);
  a.value = std::move(value);
}

void limit_attributes(std::vector<attribute>& attributes, std::uint32_t& dropped, std::size_t limit) {
  if (attributes.size() > limit) {
    dropped += static_cast<std::uint32_t>(attributes.size() - limit);
    attributes.resize(limit);
  }
}

detail::recording_state* as_recording(const std::shared_ptr<detail::span_state>& s) noexcept {
  return (s && s->recording) ? static_cast<detail::recording_state*>(s.get()) : nullptr;
}

std::shared_ptr<detail::span_state> make_non_recording(span_context context) {
  auto s = std::make_shared<detail::span_state>();
  s->context = std::move(context);
  return s;
}

}  // namespace

// --- span_ref ---------------------------------------------------------------------------

const span_context& span_ref::context() const noexcept { return state_ ? state_->context : invalid_context(); }

bool span_ref::is_recording() const noexcept {
  return state_ && state_->recording && !state_->ended.load(std::memory_order_acquire);
}

bool span_ref::has_ended() const noexcept { return state_ && state_->ended.load(std::memory_order_acquire); }

void span_ref::set_attribute_value(std::string_view key, attribute_value value) const {
  auto* r = as_recording(state_);
  if (r == nullptr || key.empty()) return;
  std::lock_guard lock(r->mutex);
  if (r->ended.load(std::memory_order_relaxed)) return;
  put_attribute(r->data.attributes, r->data.dropped_attributes, r->provider->limits.max_attributes, key,
                std::move(value));
}

void span_ref::add_event(std::string_view name, std::vector<attribute> attributes, std::uint64_t time_unix_nano) const {
  auto* r = as_recording(state_);
  if (r == nullptr) return;
  if (time_unix_nano == 0) time_unix_nano = now_unix_nano();
  std::lock_guard lock(r->mutex);
  if (r->ended.load(std::memory_order_relaxed)) return;
  const span_limits& limits = r->provider->limits;
  if (r->data.events.size() >= limits.max_events) {
    ++r->data.dropped_events;
    return;
  }
  span_event e{std::string(name), time_unix_nano, std::move(attributes), 0};
  limit_attributes(e.attributes, e.dropped_attributes, limits.max_attributes_per_event);
  r->data.events.push_back(std::move(e));
}

void span_ref::add_link(const span_context& linked, std::vector<attribute> attributes) const {
  auto* r = as_recording(state_);
  if (r == nullptr || !linked.is_valid()) return;
  std::lock_guard lock(r->mutex);
  if (r->ended.load(std::memory_order_relaxed)) return;
  const span_limits& limits = r->provider->limits;
  if (r->data.links.size() >= limits.max_links) {
    ++r->data.dropped_links;
    return;
  }
  span_link l{linked.trace, linked.span, std::string(linked.state.header()), linked.flags, std::move(attributes), 0};
  limit_attributes(l.attributes, l.dropped_attributes, limits.max_attributes_per_link);
  r->data.links.push_back(std::move(l));
}

void span_ref::set_status(status_code code, std::string_view message) const {
  auto* r = as_recording(state_);
  if (r == nullptr || code == status_code::unset) return;
  std::lock_guard lock(r->mutex);
  if (r->ended.load(std::memory_order_relaxed) || r->data.status == status_code::ok) return;
  r->data.status = code;
  if (code == status_code::error) {
    r->data.status_message.assign(message);
  } else {
    r->data.status_message.clear();
  }
}

void span_ref::update_name(std::string_view name) const {
  auto* r = as_recording(state_);
  if (r == nullptr) return;
  std::lock_guard lock(r->mutex);
  if (r->ended.load(std::memory_order_relaxed)) return;
  r->data.name.assign(name);
}

void span_ref::end(std::uint64_t end_unix_nano) const noexcept {
  auto* r = as_recording(state_);
  if (r == nullptr) {
    if (state_) state_->ended.store(true, std::memory_order_release);
    return;
  }
  if (r->ended.load(std::memory_order_relaxed)) return;
  if (end_unix_nano == 0) end_unix_nano = now_unix_nano();
  {
    std::lock_guard lock(r->mutex);
    if (r->ended.exchange(true, std::memory_order_acq_rel)) return;
    r->data.end_unix_nano = std::max(end_unix_nano, r->data.start_unix_nano);
  }
  // Ended: nothing touches r->data any more but this call, which hands it on.
  const auto& processors = r->provider->processors;
  try {
    // Every processor but the last gets a copy; the last one gets the data itself.
    for (std::size_t i = 0; i + 1 < processors.size(); ++i) processors[i]->on_end(span_data(r->data));
    if (!processors.empty()) processors.back()->on_end(std::move(r->data));
  } catch (...) {
    asyncctx::detail::report_error(error_kind::trace_export, "a span processor threw from on_end; the span is lost",
                                   std::current_exception());
  }
}

span_ref non_recording_span(span_context context) { return span_ref(make_non_recording(std::move(context))); }

// --- current span ------------------------------------------------------------------------

span_context current_span_context() {
  if (const auto* s = detail::active_span_variable().get(); s != nullptr && *s) return (*s)->context;
  return span_context{};
}

trace_ids current_trace_ids() noexcept {
  trace_ids ids;
  if (const auto* s = detail::active_span_variable().get(); s != nullptr && *s && (*s)->context.is_valid()) {
    ids.valid = true;
    ids.trace = (*s)->context.trace;
    ids.span = (*s)->context.span;
    ids.flags = (*s)->context.flags;
  }
  return ids;
}

// --- tracer ------------------------------------------------------------------------------

span tracer::start_span(std::string_view name, span_options options) const {
  // The parent: explicit, else the active span (unless a new trace is asked for).
  span_context parent;
  if (options.parent && options.parent->is_valid()) {
    parent = std::move(*options.parent);
  } else if (!options.root) {
    if (const auto* s = detail::active_span_variable().get(); s != nullptr && *s) parent = (*s)->context;
  }
  const bool has_parent = parent.is_valid();

  if (!provider_ || provider_->shut_down.load(std::memory_order_acquire) || is_suppressed()) {
    // Nothing recorded; propagation passes the parent through unchanged.
    return span(make_non_recording(has_parent ? std::move(parent) : span_context{}));
  }

  span_context ctx;
  ctx.trace = has_parent ? parent.trace : generate_trace_id();
  ctx.span = generate_span_id();
  const std::uint8_t random = has_parent ? (parent.flags & trace_flag_random) : trace_flag_random;

  sampling_result decision = provider_->span_sampler->should_sample(has_parent ? &parent : nullptr, ctx.trace, name,
                                                                    options.kind, options.attributes, options.links);
  ctx.flags = static_cast<std::uint8_t>(
      random | (decision.decision == sampling_decision::record_and_sample ? trace_flag_sampled : 0));
  if (has_parent) ctx.state = parent.state;

  if (decision.decision == sampling_decision::drop) return span(make_non_recording(std::move(ctx)));

  auto s = std::make_shared<detail::recording_state>();
  s->recording = true;
  s->provider = provider_;
  span_data& d = s->data;
  const span_limits& limits = provider_->limits;
  d.attributes.reserve(std::max<std::size_t>(options.attributes.size(), 4));
  d.trace = ctx.trace;
  d.span = ctx.span;
  d.parent = has_parent ? parent.span : span_id{};
  d.parent_is_remote = has_parent && parent.remote;
  d.trace_state = ctx.state.header();
  d.trace_flags = ctx.flags;
  d.name.assign(name);
  d.kind = options.kind;
  d.start_unix_nano = options.start_unix_nano != 0 ? options.start_unix_nano : now_unix_nano();
  for (attribute& a : options.attributes) d.attributes.push_back(std::move(a));
  for (attribute& a : decision.attributes)
    put_attribute(d.attributes, d.dropped_attributes, limits.max_attributes, a.key, std::move(a.value));
  limit_attributes(d.attributes, d.dropped_attributes, limits.max_attributes);
  d.links = std::move(options.links);
  if (d.links.size() > limits.max_links) {
    d.dropped_links = static_cast<std::uint32_t>(d.links.size() - limits.max_links);
    d.links.resize(limits.max_links);
  }
  for (span_link& l : d.links) limit_attributes(l.attributes, l.dropped_attributes, limits.max_attributes_per_link);
  d.res = provider_->res;
  d.scope = scope_;
  s->context = std::move(ctx);

  for (const auto& p : provider_->processors) p->on_start(s->context, parent);
  return span(std::move(s));
}

// --- tracer_provider ---------------------------------------------------------------------

resource default_resource() {
  return resource{{{"service.name", std::string("unknown_service")},
                   {"telemetry.sdk.name", std::string("asyncctx")},
                   {"telemetry.sdk.language", std::string("cpp")},
                   {"telemetry.sdk.version", std::string("0.1.0")}}};
}

tracer_provider::tracer_provider(tracer_provider_options options) : state_(std::make_shared<detail::provider_state>()) {
  state_->res = std::make_shared<const resource>(std::move(options.res));
  state_->span_sampler =
      options.span_sampler ? std::move(options.span_sampler) : parent_based_sampler(always_on_sampler());
  for (auto& p : options.processors)
    if (p) state_->processors.push_back(std::move(p));
  state_->limits = options.limits;
}

tracer_provider::~tracer_provider() { shutdown(std::chrono::seconds(30)); }

trace::tracer tracer_provider::tracer(std::string_view name, std::string_view version) const {
  auto scope =
      std::make_shared<const instrumentation_scope>(instrumentation_scope{std::string(name), std::string(version), {}});
  return trace::tracer(state_, std::move(scope));
}

const resource& tracer_provider::get_resource() const noexcept { return *state_->res; }
std::shared_ptr<const resource> tracer_provider::resource_ptr() const noexcept { return state_->res; }

bool tracer_provider::force_flush(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (const auto& p : state_->processors) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    ok = p->force_flush(std::max(left, std::chrono::milliseconds(0))) && ok;
  }
  return ok;
}

bool tracer_provider::shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard lock(state_->shutdown_mutex);
  if (state_->shut_down.exchange(true)) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = true;
  for (const auto& p : state_->processors) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    ok = p->shutdown(std::max(left, std::chrono::milliseconds(0))) && ok;
  }
  return ok;
}

// --- the global provider -----------------------------------------------------------------

namespace {
struct global_provider {
  std::mutex mutex;
  std::shared_ptr<tracer_provider> provider;
  trace::tracer default_tracer;
};
global_provider& the_global() {
  static global_provider g;  // NOLINT: process-wide by design
  return g;
}
}  // namespace

void set_tracer_provider(std::shared_ptr<tracer_provider> provider) {
  global_provider& g = the_global();
  trace::tracer t = provider ? provider->tracer("asyncctx") : trace::tracer();
  std::lock_guard lock(g.mutex);
  g.provider = std::move(provider);
  g.default_tracer = std::move(t);
}

std::shared_ptr<tracer_provider> get_tracer_provider() {
  global_provider& g = the_global();
  std::lock_guard lock(g.mutex);
  return g.provider;
}

span start_span(std::string_view name, span_options options) {
  global_provider& g = the_global();
  trace::tracer t;
  {
    std::lock_guard lock(g.mutex);
    t = g.default_tracer;
  }
  return t.start_span(name, std::move(options));
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
