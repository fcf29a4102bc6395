// asyncctx::trace::otel_environment: tracing configured by OpenTelemetry's standard
// environment variables, and a tracer provider built from it.
//
//   auto tracing = asyncctx::trace::make_tracing(asyncctx::trace::read_otel_environment());
//   asyncctx::trace::set_tracer_provider(tracing.provider);
//
// Variables read (an empty value counts as unset, as the specification says):
//   OTEL_SDK_DISABLED                       "true" (any case): no spans are recorded
//   OTEL_SERVICE_NAME                       service.name (wins over the one in the attributes)
//   OTEL_RESOURCE_ATTRIBUTES                key1=value1,key2=value2, values percent-decoded
//   OTEL_TRACES_EXPORTER                    otlp (default), console, none; a comma list
//   OTEL_EXPORTER_OTLP_TRACES_ENDPOINT      the full URL, used as is
//   OTEL_EXPORTER_OTLP_ENDPOINT             the base URL: /v1/traces is appended (to it only)
//   OTEL_EXPORTER_OTLP_[TRACES_]PROTOCOL    http/protobuf (default), http/json
//   OTEL_EXPORTER_OTLP_[TRACES_]HEADERS     key1=value1,... (percent-decoded values)
//   OTEL_EXPORTER_OTLP_[TRACES_]TIMEOUT     milliseconds (default 10000)
//   OTEL_TRACES_SAMPLER / _ARG              always_on, always_off, traceidratio,
//                                           parentbased_always_on (default),
//                                           parentbased_always_off, parentbased_traceidratio;
//                                           the ratio in [0, 1] (default 1.0)
//   OTEL_BSP_SCHEDULE_DELAY, _EXPORT_TIMEOUT, _MAX_QUEUE_SIZE, _MAX_EXPORT_BATCH_SIZE
//   OTEL_PROPAGATORS                        tracecontext, baggage (default both), none
// The signal-specific (TRACES_) form of a variable replaces the generic one. Enumerated
// values are matched case-insensitively. An invalid value is never fatal: the documented
// default is used and the problem is reported through the library's error channel
// (error_kind::configuration), once per variable; so is a value this library does not
// support (the grpc protocol, the zipkin exporter, b3 propagation, https endpoints).
// Thread-safety: read_otel_environment reads the environment through `lookup` (default:
// std::getenv, which must not race with setenv); the rest are pure or build new objects.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/otlp_http_exporter.hpp>
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/sampler.hpp>
#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <cstdlib>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

enum class otel_sampler_kind {
  always_on,
  always_off,
  trace_id_ratio,
  parent_based_always_on,
  parent_based_always_off,
  parent_based_trace_id_ratio
};

enum class otel_exporter_kind { otlp, console };

struct otel_environment {
  bool sdk_disabled = false;
  std::string service_name;                                                // "" when neither variable names one
  std::vector<attribute> resource_attributes;                              // from OTEL_RESOURCE_ATTRIBUTES, in order
  std::vector<otel_exporter_kind> exporters = {otel_exporter_kind::otlp};  // empty: none
  otlp_http_exporter_options otlp;                                         // endpoint, protocol, headers, timeout
  otel_sampler_kind sampler = otel_sampler_kind::parent_based_always_on;
  double sampler_ratio = 1.0;
  batch_span_processor_options batch;
  unsigned propagation_formats = all_formats;
};

// Reads the OTEL_* variables through `lookup` (null result: unset).
ASYNCCTX_API otel_environment read_otel_environment(const std::function<const char*(const char*)>& lookup =
                                                        [](const char* name) -> const char* {
  // Read at configuration time; nothing in the library writes the environment.
  return std::getenv(name);  // NOLINT(concurrency-mt-unsafe)
});

// A `key1=value1,key2=value2` list (OTEL_RESOURCE_ATTRIBUTES, OTEL_EXPORTER_OTLP_HEADERS):
// optional whitespace around entries, keys and values trimmed, values percent-decoded. nullopt
// when any entry is malformed (no '=', an empty key, a bad %-escape): the whole value is then
// discarded, as the specification asks.
ASYNCCTX_API std::optional<std::vector<std::pair<std::string, std::string>>> parse_otel_key_values(
    std::string_view text);

// The resource: default_resource(), then the attributes, then service.name.
ASYNCCTX_API resource make_otel_resource(const otel_environment& env);
// The configured sampler.
ASYNCCTX_API std::shared_ptr<const sampler> make_otel_sampler(const otel_environment& env);

// A provider with one batch processor per configured exporter (console: JSON lines to
// `console`), plus `extra` processors (an in-process collector, say). An OTLP exporter that
// cannot be made (an https endpoint) is reported and left out.
struct otel_tracing {
  std::shared_ptr<tracer_provider> provider;
  std::vector<std::shared_ptr<span_exporter>> exporters;  // what the processors export to
  unsigned propagation_formats = all_formats;
};
ASYNCCTX_API otel_tracing make_tracing(const otel_environment& env, std::ostream& console,
                                       std::vector<std::shared_ptr<span_processor>> extra = {});

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
