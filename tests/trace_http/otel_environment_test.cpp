// OTEL_* environment configuration (otel_environment.hpp): every variable, the endpoint rule,
// and invalid values (documented default + one report, never a crash).
#include <asyncctx/trace/otel_environment.hpp>

#include <gtest/gtest.h>

#include <map>
#include <sstream>
#include <string>

#include "support/misuse_recorder.hpp"

namespace {

using namespace asyncctx::trace;
using namespace std::chrono_literals;

otel_environment read(const std::map<std::string, std::string>& vars) {
  return read_otel_environment([&](const char* name) -> const char* {
    auto it = vars.find(name);
    return it == vars.end() ? nullptr : it->second.c_str();
  });
}

std::string attr(const std::vector<attribute>& attrs, const std::string& key) {
  for (const auto& a : attrs) {
    if (a.key == key) return std::get<std::string>(a.value);
  }
  return "<none>";
}

TEST(OtelEnvironment, DefaultsWhenNothingIsSet) {
  asyncctx_test::error_recorder errors(asyncctx::error_kind::configuration);
  const otel_environment env = read({});
  EXPECT_FALSE(env.sdk_disabled);
  EXPECT_EQ(env.service_name, "");
  EXPECT_EQ(env.exporters, std::vector<otel_exporter_kind>{otel_exporter_kind::otlp});
  EXPECT_EQ(env.otlp.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(env.otlp.protocol, otlp_protocol::http_protobuf);
  EXPECT_TRUE(env.otlp.headers.empty());
  EXPECT_EQ(env.otlp.timeout, 10000ms);
  EXPECT_EQ(env.sampler, otel_sampler_kind::parent_based_always_on);
  EXPECT_EQ(env.batch.schedule_delay, 5000ms);
  EXPECT_EQ(env.batch.export_timeout, 30000ms);
  EXPECT_EQ(env.batch.max_queue_size, 2048u);
  EXPECT_EQ(env.batch.max_export_batch_size, 512u);
  EXPECT_EQ(env.propagation_formats, all_formats);
  EXPECT_TRUE(errors.reports().empty());
  EXPECT_EQ(attr(make_otel_resource(env).attributes, "service.name"), "unknown_service");
}

TEST(OtelEnvironment, ServiceNameWinsOverTheResourceAttribute) {
  auto env = read({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs, deployment.environment = prod "}});
  EXPECT_EQ(env.service_name, "from-attrs");
  EXPECT_EQ(attr(env.resource_attributes, "deployment.environment"), "prod");
  env = read({{"OTEL_RESOURCE_ATTRIBUTES", "service.name=from-attrs"}, {"OTEL_SERVICE_NAME", "svc"}});
  EXPECT_EQ(env.service_name, "svc");
  const resource res = make_otel_resource(env);
  EXPECT_EQ(attr(res.attributes, "service.name"), "svc");
  EXPECT_NE(attr(res.attributes, "telemetry.sdk.name"), "<none>");  // the defaults stay
}

TEST(OtelEnvironment, ResourceAttributeValuesArePercentDecoded) {
  const auto env = read({{"OTEL_RESOURCE_ATTRIBUTES", "a=x%20y%2Cz,b=%E2%9C%93,c="}});
  EXPECT_EQ(attr(env.resource_attributes, "a"), "x y,z");
  EXPECT_EQ(attr(env.resource_attributes, "b"), "\xe2\x9c\x93");
  EXPECT_EQ(attr(env.resource_attributes, "c"), "");
}

TEST(OtelEnvironment, MalformedResourceAttributesAreDiscardedWholeAndReported) {
  for (const char* bad : {"a=1,b", "a=1,=2", "a=%zz", "a=%4", "a b=1"}) {
    asyncctx_test::error_recorder errors(asyncctx::error_kind::configuration);
    const auto env = read({{"OTEL_RESOURCE_ATTRIBUTES", bad}});
    EXPECT_TRUE(env.resource_attributes.empty()) << bad;
    ASSERT_EQ(errors.reports().size(), 1u) << bad;
    EXPECT_NE(errors.reports()[0].message.find("OTEL_RESOURCE_ATTRIBUTES"), std::string::npos);
  }
}

TEST(OtelEnvironment, SignalPathIsAppendedToTheGenericEndpointOnly) {
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318"}}).otlp.endpoint,
            "http://collector:4318/v1/traces");
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/"}}).otlp.endpoint,
            "http://collector:4318/v1/traces");
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://collector:4318/prefix"}}).otlp.endpoint,
            "http://collector:4318/prefix/v1/traces");
  EXPECT_EQ(read({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://collector:4318/custom"}}).otlp.endpoint,
            "http://collector:4318/custom");
  EXPECT_EQ(
      read({{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://a:1"}, {"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://b:2/t"}})
          .otlp.endpoint,
      "http://b:2/t");
}

TEST(OtelEnvironment, ProtocolHeadersAndTimeoutWithTheTracesFormWinning) {
  const auto env = read({{"OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"},
                         {"OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "HTTP/JSON"},
                         {"OTEL_EXPORTER_OTLP_HEADERS", "generic=1"},
                         {"OTEL_EXPORTER_OTLP_TRACES_HEADERS", "Authorization=Bearer%20t,x-tenant=a"},
                         {"OTEL_EXPORTER_OTLP_TIMEOUT", "2500"}});
  EXPECT_EQ(env.otlp.protocol, otlp_protocol::http_json);
  ASSERT_EQ(env.otlp.headers.size(), 2u);
  EXPECT_EQ(env.otlp.headers[0], (std::pair<std::string, std::string>{"Authorization", "Bearer t"}));
  EXPECT_EQ(env.otlp.headers[1], (std::pair<std::string, std::string>{"x-tenant", "a"}));
  EXPECT_EQ(env.otlp.timeout, 2500ms);
}

TEST(OtelEnvironment, ExportersSamplersBatchAndPropagators) {
  auto env = read({{"OTEL_TRACES_EXPORTER", "console, otlp"},
                   {"OTEL_TRACES_SAMPLER", "parentbased_traceidratio"},
                   {"OTEL_TRACES_SAMPLER_ARG", "0.25"},
                   {"OTEL_BSP_SCHEDULE_DELAY", "200"},
                   {"OTEL_BSP_EXPORT_TIMEOUT", "1000"},
                   {"OTEL_BSP_MAX_QUEUE_SIZE", "100"},
                   {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "10"},
                   {"OTEL_PROPAGATORS", "baggage"}});
  EXPECT_EQ(env.exporters, (std::vector<otel_exporter_kind>{otel_exporter_kind::console, otel_exporter_kind::otlp}));
  EXPECT_EQ(env.sampler, otel_sampler_kind::parent_based_trace_id_ratio);
  EXPECT_EQ(env.sampler_ratio, 0.25);
  EXPECT_EQ(env.batch.schedule_delay, 200ms);
  EXPECT_EQ(env.batch.export_timeout, 1000ms);
  EXPECT_EQ(env.batch.max_queue_size, 100u);
  EXPECT_EQ(env.batch.max_export_batch_size, 10u);
  EXPECT_EQ(env.propagation_formats, baggage_format);
  EXPECT_TRUE(read({{"OTEL_TRACES_EXPORTER", "none"}}).exporters.empty());
  EXPECT_EQ(read({{"OTEL_PROPAGATORS", "none"}}).propagation_formats, 0u);
  EXPECT_TRUE(read({{"OTEL_SDK_DISABLED", "TRUE"}}).sdk_disabled);
}

TEST(OtelEnvironment, InvalidValuesGetTheirDefaultsAndOneReportEach) {
  asyncctx_test::error_recorder errors(asyncctx::error_kind::configuration);
  const auto env = read({{"OTEL_TRACES_EXPORTER", "zipkin"},
                         {"OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318"},
                         {"OTEL_EXPORTER_OTLP_PROTOCOL", "grpc"},
                         {"OTEL_EXPORTER_OTLP_HEADERS", "secret-without-equals"},
                         {"OTEL_EXPORTER_OTLP_TIMEOUT", "-5"},
                         {"OTEL_TRACES_SAMPLER", "jaeger_remote"},
                         {"OTEL_BSP_SCHEDULE_DELAY", "soon"},
                         {"OTEL_BSP_MAX_QUEUE_SIZE", "0"},
                         {"OTEL_BSP_MAX_EXPORT_BATCH_SIZE", "4096"},
                         {"OTEL_PROPAGATORS", "b3"},
                         {"OTEL_SDK_DISABLED", "yes"}});
  EXPECT_EQ(env.exporters, std::vector<otel_exporter_kind>{otel_exporter_kind::otlp});
  EXPECT_EQ(env.otlp.endpoint, "http://localhost:4318/v1/traces");
  EXPECT_EQ(env.otlp.protocol, otlp_protocol::http_protobuf);
  EXPECT_TRUE(env.otlp.headers.empty());
  EXPECT_EQ(env.otlp.timeout, 10000ms);
  EXPECT_EQ(env.sampler, otel_sampler_kind::parent_based_always_on);
  EXPECT_EQ(env.batch.schedule_delay, 5000ms);
  EXPECT_EQ(env.batch.max_queue_size, 2048u);
  EXPECT_EQ(env.batch.max_export_batch_size, 2048u);  // clamped to the queue size
  EXPECT_EQ(env.propagation_formats, all_formats);
  EXPECT_FALSE(env.sdk_disabled);
  const auto reports = errors.reports();
  EXPECT_EQ(reports.size(), 11u);
  for (const auto& r : reports) {
    EXPECT_EQ(r.message.find("secret"), std::string::npos) << "header values are never echoed: " << r.message;
  }
}

TEST(OtelEnvironment, SamplerArgumentOutOfRangeIsReported) {
  asyncctx_test::error_recorder errors(asyncctx::error_kind::configuration);
  const auto env = read({{"OTEL_TRACES_SAMPLER", "traceidratio"}, {"OTEL_TRACES_SAMPLER_ARG", "1.5"}});
  EXPECT_EQ(env.sampler, otel_sampler_kind::trace_id_ratio);
  EXPECT_EQ(env.sampler_ratio, 1.0);
  EXPECT_EQ(errors.reports().size(), 1u);
}

TEST(OtelEnvironment, MakeTracingBuildsTheConfiguredPipeline) {
  std::ostringstream console;
  auto env =
      read({{"OTEL_TRACES_EXPORTER", "console"}, {"OTEL_SERVICE_NAME", "made"}, {"OTEL_BSP_SCHEDULE_DELAY", "10"}});
  otel_tracing tracing = make_tracing(env, console);
  ASSERT_EQ(tracing.exporters.size(), 1u);
  tracing.provider->tracer("t").start_span("hello").end();
  EXPECT_TRUE(tracing.provider->force_flush(5s));
  EXPECT_NE(console.str().find("\"hello\""), std::string::npos) << console.str();
  EXPECT_NE(console.str().find("made"), std::string::npos);
  tracing.provider->shutdown(5s);
}

TEST(OtelEnvironment, AnHttpsEndpointLeavesTheOtlpExporterOutWithAReport) {
  asyncctx_test::error_recorder errors(asyncctx::error_kind::configuration);
  std::ostringstream console;
  auto env = read({{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "https://collector/v1/traces"}});
  otel_tracing tracing = make_tracing(env, console);
  EXPECT_TRUE(tracing.exporters.empty());
  EXPECT_EQ(errors.reports().size(), 1u);
  tracing.provider->shutdown(1s);
}

TEST(OtelEnvironment, DisabledSdkRecordsNothing) {
  std::ostringstream console;
  otel_tracing tracing =
      make_tracing(read({{"OTEL_SDK_DISABLED", "true"}, {"OTEL_TRACES_EXPORTER", "console"}}), console);
  auto s = tracing.provider->tracer("t").start_span("x");
  EXPECT_FALSE(s.is_recording());
  s.end();
  tracing.provider->shutdown(1s);
  EXPECT_EQ(console.str(), "");
}

}  // namespace
