// The OTLP/HTTP exporter against a real HTTP server on 127.0.0.1 (test_backend.hpp): what it
// sends, keep-alive, retries and Retry-After, final errors, partial_success, and a back end
// that is down, slow or answers garbage.
#include <asyncctx/trace/otlp_http_exporter.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <ctime>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include "support/misuse_recorder.hpp"
#include "test_backend.hpp"
#include <nlohmann/json.hpp>

namespace {

using namespace asyncctx::trace;
using namespace std::chrono_literals;
using asyncctx_test::test_backend;
using clock_type = std::chrono::steady_clock;

std::vector<span_data> make_spans(std::size_t n) {
  auto res = std::make_shared<resource>(resource{{{"service.name", std::string("exporter-test")}}});
  std::vector<span_data> spans(n);
  for (std::size_t i = 0; i < n; ++i) {
    spans[i].trace = *trace_id::from_hex("0af7651916cd43dd8448eb211c80319c");
    spans[i].span.bytes[7] = static_cast<std::uint8_t>(i + 1);
    spans[i].name = "span-" + std::to_string(i);
    spans[i].res = res;
  }
  return spans;
}

otlp_http_exporter_options fast_options(const test_backend& backend) {
  otlp_http_exporter_options o;
  o.endpoint = backend.url();
  o.timeout = 5s;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 20ms;
  return o;
}

std::string joined(const std::vector<asyncctx_test::error_recorder::report>& reports) {
  std::string all;
  for (const auto& r : reports) all += r.message + "\n";
  return all;
}

TEST(OtlpHttpExporter, PostsProtobufToTheEndpointWithItsHeaders) {
  test_backend backend([](const auto&) { return test_backend::answer(200); });
  auto options = fast_options(backend);
  options.headers = {{"Authorization", "Bearer t"}};
  otlp_http_exporter exporter(options);
  const auto spans = make_spans(3);
  EXPECT_EQ(exporter.export_spans(spans), span_exporter::result::success);
  const auto requests = backend.requests();
  ASSERT_EQ(requests.size(), 1u);
  const auto& req = requests[0];
  EXPECT_EQ(req.method(), asyncctx_test::bhttp::verb::post);
  EXPECT_EQ(req.target(), "/v1/traces");
  EXPECT_EQ(req[asyncctx_test::bhttp::field::content_type], "application/x-protobuf");
  EXPECT_EQ(req["Authorization"], "Bearer t");
  EXPECT_EQ(req[asyncctx_test::bhttp::field::host], "127.0.0.1:" + std::to_string(backend.port()));
  EXPECT_TRUE(req[asyncctx_test::bhttp::field::user_agent].starts_with("OTel-OTLP-Exporter-Cpp-asyncctx/"));
  EXPECT_EQ(req.body(), encode_otlp_request(spans, otlp_protocol::http_protobuf));
  EXPECT_EQ(exporter.stats().exported_spans, 3u);
  EXPECT_EQ(exporter.stats().lost_spans, 0u);
}

TEST(OtlpHttpExporter, JsonProtocolPostsTheJsonMapping) {
  test_backend backend([](const auto&) { return test_backend::answer(200, "{}", "application/json"); });
  auto options = fast_options(backend);
  options.protocol = otlp_protocol::http_json;
  otlp_http_exporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans(2)), span_exporter::result::success);
  const auto req = backend.requests().at(0);
  EXPECT_EQ(req[asyncctx_test::bhttp::field::content_type], "application/json");
  const auto doc = nlohmann::json::parse(req.body());
  EXPECT_EQ(doc["resourceSpans"][0]["scopeSpans"][0]["spans"].size(), 2u);
}

TEST(OtlpHttpExporter, ReusesOneKeptAliveConnection) {
  test_backend backend([](const auto&) { return test_backend::answer(200); });
  otlp_http_exporter exporter(fast_options(backend));
  for (int i = 0; i < 3; ++i) EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  EXPECT_EQ(backend.request_count(), 3u);
  EXPECT_EQ(backend.connections(), 1);
}

TEST(OtlpHttpExporter, ReconnectsWhenTheServerClosedAKeptAliveConnection) {
  test_backend backend([](const auto&) {
    auto a = test_backend::answer(200);
    a.close_after = true;
    return a;
  });
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  std::this_thread::sleep_for(50ms);  // the close reaches the client first
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  EXPECT_EQ(backend.connections(), 2);
  EXPECT_EQ(exporter.stats().retries, 0u);
}

TEST(OtlpHttpExporter, RetriesTooManyRequestsAndGatewayErrorsThenSucceeds) {
  for (unsigned status : {429u, 502u, 503u, 504u}) {
    std::atomic<int> n{0};
    test_backend backend([&](const auto&) { return test_backend::answer(n++ == 0 ? status : 200); });
    otlp_http_exporter exporter(fast_options(backend));
    EXPECT_EQ(exporter.export_spans(make_spans(2)), span_exporter::result::success) << status;
    EXPECT_EQ(backend.request_count(), 2u) << status;
    EXPECT_EQ(exporter.stats().retries, 1u);
    EXPECT_EQ(exporter.stats().exported_spans, 2u);
  }
}

TEST(OtlpHttpExporter, RetriesWhenTheConnectionClosesWithoutAnAnswer) {
  std::atomic<int> n{0};
  test_backend backend(
      [&](const auto&) { return n++ == 0 ? test_backend::close_connection() : test_backend::answer(200); });
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  EXPECT_EQ(backend.request_count(), 2u);
}

TEST(OtlpHttpExporter, HonoursRetryAfterInSeconds) {
  std::atomic<int> n{0};
  test_backend backend([&](const auto&) {
    auto a = test_backend::answer(n++ == 0 ? 503 : 200);
    a.res.set(asyncctx_test::bhttp::field::retry_after, "1");
    return a;
  });
  otlp_http_exporter exporter(fast_options(backend));  // backoff alone would be 10 ms
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  const auto at = backend.arrivals();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_GE(at[1] - at[0], 950ms);
}

TEST(OtlpHttpExporter, HonoursRetryAfterAsAnHttpDate) {
  std::atomic<int> n{0};
  test_backend backend([&](const auto&) {
    auto a = test_backend::answer(n++ == 0 ? 429 : 200);
    const std::time_t when = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() + 2s);
    std::tm tm{};
    gmtime_r(&when, &tm);
    char text[64];
    std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    a.res.set(asyncctx_test::bhttp::field::retry_after, text);
    return a;
  });
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  const auto at = backend.arrivals();
  ASSERT_EQ(at.size(), 2u);
  EXPECT_GE(at[1] - at[0], 900ms);  // 2 s ahead at second resolution: at least 1 s
}

TEST(OtlpHttpExporter, RetryAfterBeyondTheTimeoutGivesUpAtOnce) {
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  test_backend backend([&](const auto&) {
    auto a = test_backend::answer(503);
    a.res.set(asyncctx_test::bhttp::field::retry_after, "100");
    return a;
  });
  auto options = fast_options(backend);
  options.timeout = 3s;
  otlp_http_exporter exporter(options);
  const auto start = clock_type::now();
  EXPECT_EQ(exporter.export_spans(make_spans(4)), span_exporter::result::failure);
  EXPECT_LT(clock_type::now() - start, 2s);
  EXPECT_EQ(backend.request_count(), 1u);
  EXPECT_EQ(exporter.stats().lost_spans, 4u);
  EXPECT_NE(joined(errors.reports()).find("4 spans lost"), std::string::npos) << joined(errors.reports());
}

TEST(OtlpHttpExporter, OtherClientAndServerErrorsAreNotRetried) {
  for (unsigned status : {400u, 401u, 404u, 413u, 500u, 501u}) {
    asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
    test_backend backend([&](const auto&) {
      return test_backend::answer(status, R"({"code":3,"message":"no such thing"})", "application/json");
    });
    auto options = fast_options(backend);
    options.protocol = otlp_protocol::http_json;
    otlp_http_exporter exporter(options);
    EXPECT_EQ(exporter.export_spans(make_spans(2)), span_exporter::result::failure) << status;
    EXPECT_EQ(backend.request_count(), 1u) << status;
    EXPECT_EQ(exporter.stats().lost_spans, 2u);
    EXPECT_EQ(exporter.stats().failed_exports, 1u);
    const std::string text = joined(errors.reports());
    EXPECT_NE(text.find("HTTP " + std::to_string(status) + " (no such thing)"), std::string::npos) << text;
  }
}

TEST(OtlpHttpExporter, GivesUpAfterTheMaximumNumberOfAttempts) {
  test_backend backend([](const auto&) { return test_backend::answer(503); });
  auto options = fast_options(backend);
  options.retry.max_attempts = 3;
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  otlp_http_exporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::failure);
  EXPECT_EQ(backend.request_count(), 3u);
  EXPECT_EQ(exporter.stats().retries, 2u);
  EXPECT_EQ(errors.reports().size(), 1u);
}

TEST(OtlpHttpExporter, ProtobufPartialSuccessIsCountedAndReported) {
  const std::string inner = std::string("\x08\x02\x12\x07too old", 11);
  const std::string body = std::string("\x0a") + char(inner.size()) + inner;
  test_backend backend([&](const auto&) { return test_backend::answer(200, body); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_EQ(exporter.export_spans(make_spans(5)), span_exporter::result::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 2u);
  EXPECT_EQ(exporter.stats().exported_spans, 3u);
  const auto reports = errors.reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].message.find("2 of 5 spans rejected: too old"), std::string::npos) << reports[0].message;
}

TEST(OtlpHttpExporter, JsonPartialSuccessIsCountedAndReported) {
  test_backend backend([](const auto&) {
    return test_backend::answer(200, R"({"partialSuccess":{"rejectedSpans":"1","errorMessage":"dup"}})",
                                "application/json");
  });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  auto options = fast_options(backend);
  options.protocol = otlp_protocol::http_json;
  otlp_http_exporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans(2)), span_exporter::result::success);
  EXPECT_EQ(exporter.stats().rejected_spans, 1u);
  ASSERT_EQ(errors.reports().size(), 1u);
  EXPECT_NE(errors.reports()[0].message.find("1 of 2 spans rejected: dup"), std::string::npos);
}

TEST(OtlpHttpExporter, AGarbageAnswerToASuccessIsReported) {
  test_backend backend([](const auto&) { return test_backend::answer(200, "\xff\xff\xff garbage"); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::success);
  ASSERT_EQ(errors.reports().size(), 1u);
  EXPECT_NE(errors.reports()[0].message.find("not an ExportTraceServiceResponse"), std::string::npos);
}

TEST(OtlpHttpExporter, GarbageInsteadOfHttpLosesTheSpansWithinTheTimeout) {
  test_backend backend([](const auto&) { return test_backend::garbage("SSH-2.0-OpenSSH\r\n\r\n\x01\x02"); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  auto options = fast_options(backend);
  options.timeout = 2s;
  otlp_http_exporter exporter(options);
  const auto start = clock_type::now();
  EXPECT_EQ(exporter.export_spans(make_spans(3)), span_exporter::result::failure);
  EXPECT_LT(clock_type::now() - start, 3s);
  EXPECT_EQ(exporter.stats().lost_spans, 3u);
  EXPECT_EQ(errors.reports().size(), 1u);
}

TEST(OtlpHttpExporter, AnAnswerLargerThanTheLimitIsNotRead) {
  test_backend backend([](const auto&) { return test_backend::answer(200, std::string(1 << 20, 'x')); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  auto options = fast_options(backend);
  options.retry.max_attempts = 2;
  otlp_http_exporter exporter(options);
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::failure);
  EXPECT_EQ(exporter.stats().lost_spans, 1u);
  EXPECT_NE(joined(errors.reports()).find("body limit"), std::string::npos) << joined(errors.reports());
}

TEST(OtlpHttpExporter, ABackEndThatIsDownCostsAtMostTheTimeout) {
  std::uint16_t port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = a.local_endpoint().port();
  }  // closed: connections are refused
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  otlp_http_exporter_options options;
  options.endpoint = "http://127.0.0.1:" + std::to_string(port) + "/v1/traces";
  options.timeout = 1s;
  options.retry.initial_backoff = 50ms;
  options.retry.max_attempts = 100;
  otlp_http_exporter exporter(options);
  const auto start = clock_type::now();
  EXPECT_EQ(exporter.export_spans(make_spans(7)), span_exporter::result::failure);
  const auto took = clock_type::now() - start;
  EXPECT_LT(took, 1500ms);
  EXPECT_GT(exporter.stats().retries, 0u);
  EXPECT_EQ(exporter.stats().lost_spans, 7u);
  const std::string text = joined(errors.reports());
  EXPECT_NE(text.find("7 spans lost (7 in all)"), std::string::npos) << text;
}

TEST(OtlpHttpExporter, ASlowBackEndCostsAtMostTheTimeout) {
  test_backend backend([](const auto&) { return test_backend::hang_up(); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  auto options = fast_options(backend);
  options.timeout = 500ms;
  otlp_http_exporter exporter(options);
  const auto start = clock_type::now();
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::failure);
  const auto took = clock_type::now() - start;
  EXPECT_GE(took, 450ms);
  EXPECT_LT(took, 1500ms);
  EXPECT_NE(joined(errors.reports()).find("no answer within the export timeout"), std::string::npos);
}

TEST(OtlpHttpExporter, ShutdownInterruptsAnExportInProgressAndReturnsWithinItsTimeout) {
  test_backend backend([](const auto&) { return test_backend::hang_up(); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  auto options = fast_options(backend);
  options.timeout = 30s;
  otlp_http_exporter exporter(options);
  auto exporting = std::async(std::launch::async, [&] { return exporter.export_spans(make_spans(2)); });
  while (backend.request_count() == 0) std::this_thread::sleep_for(5ms);
  const auto start = clock_type::now();
  EXPECT_TRUE(exporter.shutdown(2s));
  EXPECT_LT(clock_type::now() - start, 2s);
  ASSERT_EQ(exporting.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(exporting.get(), span_exporter::result::failure);
  // After shutdown, an export fails at once and its spans count as lost.
  EXPECT_EQ(exporter.export_spans(make_spans(3)), span_exporter::result::failure);
  EXPECT_EQ(exporter.stats().lost_spans, 5u);
}

TEST(OtlpHttpExporter, ShutdownDuringABackoffWaitReturnsPromptly) {
  test_backend backend([](const auto&) {
    auto a = test_backend::answer(503);
    a.res.set(asyncctx_test::bhttp::field::retry_after, "20");
    return a;
  });
  auto options = fast_options(backend);
  options.timeout = 60s;
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export);
  otlp_http_exporter exporter(options);
  auto exporting = std::async(std::launch::async, [&] { return exporter.export_spans(make_spans(1)); });
  while (backend.request_count() == 0) std::this_thread::sleep_for(5ms);
  std::this_thread::sleep_for(50ms);
  EXPECT_TRUE(exporter.shutdown(2s));
  ASSERT_EQ(exporting.wait_for(1s), std::future_status::ready);
  EXPECT_EQ(exporting.get(), span_exporter::result::failure);
}

TEST(OtlpHttpExporter, ItsOwnWorkRunsWithTracingSuppressed) {
  // The report of a failed export is made inside the export's context: it sees the flag that
  // keeps any instrumented code the exporter runs from starting spans.
  test_backend backend([](const auto&) { return test_backend::answer(400); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::trace_export, [] {
    return std::string(asyncctx::trace::is_suppressed() ? "suppressed" : "traced");
  });
  otlp_http_exporter exporter(fast_options(backend));
  EXPECT_FALSE(asyncctx::trace::is_suppressed());
  EXPECT_EQ(exporter.export_spans(make_spans(1)), span_exporter::result::failure);
  EXPECT_FALSE(asyncctx::trace::is_suppressed());  // only inside the export
  ASSERT_EQ(errors.reports().size(), 1u);
  EXPECT_EQ(errors.reports()[0].context, "suppressed");
}

TEST(OtlpHttpExporter, RefusesEndpointsItCannotReachAndInvalidHeaders) {
  auto at = [](std::string endpoint) {
    otlp_http_exporter_options o;
    o.endpoint = std::move(endpoint);
    return o;
  };
  EXPECT_THROW(otlp_http_exporter{at("localhost:4318")}, std::invalid_argument);
  EXPECT_THROW(otlp_http_exporter{at("https://collector/v1/traces")}, std::invalid_argument);
  otlp_http_exporter_options bad_header;
  bad_header.headers = {{"X-Evil", "a\r\nInjected: 1"}};
  EXPECT_THROW(otlp_http_exporter{bad_header}, std::invalid_argument);
}

}  // namespace
