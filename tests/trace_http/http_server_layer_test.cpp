// trace::http_server_layer on a real asio::http_server over 127.0.0.1: extraction of
// traceparent / tracestate / baggage, the SERVER span and its semantic-convention attributes,
// its end, and malformed headers (a new trace, never an error).
#include <asyncctx/trace/baggage.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/http_server_layer.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "asio/http_test_support.hpp"
#include "span_collector.hpp"

namespace {

using namespace asyncctx::trace;
namespace http = boost::beast::http;
using asyncctx_test::http_request;
using asyncctx_test::http_response;

constexpr const char* incoming_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* incoming_parent = "00f067aa0ba902b7";

struct traced_server {
  std::shared_ptr<asyncctx_test::span_collector> collector = std::make_shared<asyncctx_test::span_collector>();
  std::shared_ptr<tracer_provider> provider = asyncctx_test::collecting_provider(collector);

  asyncctx::asio::http_server_options options() {
    http_server_layer_options o;
    o.provider = provider;
    o.route = [](const http_request& req) -> std::string {
      return std::string(req.target()).starts_with("/items/") ? "/items/{id}" : "";
    };
    asyncctx::asio::http_server_options so;
    so.layers.push_back(std::make_shared<http_server_layer>(std::move(o)));
    return so;
  }
};

http_response ok(const http_request& req) { return http_response{http::status::ok, req.version()}; }

const span_data* find(const std::vector<span_data>& spans, span_kind kind) {
  for (const auto& s : spans) {
    if (s.kind == kind) return &s;
  }
  return nullptr;
}

TEST(HttpServerLayer, ServerSpanIsTheParentOfWhatTheHandlerStarts) {
  traced_server t;
  asyncctx_test::running_server server(
      [&](const http_request& req) {
        auto child = t.provider->tracer("handler").start_span("work");
        child.end();
        return ok(req);
      },
      1, t.options());
  asyncctx_test::test_client client(server.endpoint());
  EXPECT_EQ(client.request(asyncctx_test::make_get("/x")).result(), http::status::ok);
  const auto spans = t.collector->wait_for(2);
  ASSERT_EQ(spans.size(), 2u);
  const span_data* srv = find(spans, span_kind::server);
  const span_data* work = find(spans, span_kind::internal);
  ASSERT_TRUE(srv && work);
  EXPECT_TRUE(srv->trace.is_valid());
  EXPECT_FALSE(srv->parent.is_valid());  // no traceparent: a new trace
  EXPECT_EQ(work->trace, srv->trace);
  EXPECT_EQ(work->parent, srv->span);
  EXPECT_EQ(srv->name, "GET");
}

TEST(HttpServerLayer, IncomingTraceparentTracestateAndBaggageAreExtracted) {
  traced_server t;
  std::string baggage_seen;
  asyncctx_test::running_server server(
      [&](const http_request& req) {
        if (const baggage* b = current_baggage()) baggage_seen = b->to_header();
        return ok(req);
      },
      1, t.options());
  asyncctx_test::test_client client(server.endpoint());
  auto req = asyncctx_test::make_get("/x");
  req.set("traceparent", std::string("00-") + incoming_trace + "-" + incoming_parent + "-01");
  req.set("tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  req.set("baggage", "user=alice,tenant=t%201");
  EXPECT_EQ(client.request(req).result(), http::status::ok);
  const auto spans = t.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].trace.to_hex(), incoming_trace);
  EXPECT_EQ(spans[0].parent.to_hex(), incoming_parent);
  EXPECT_TRUE(spans[0].parent_is_remote);
  EXPECT_EQ(spans[0].trace_state, "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
  EXPECT_NE(baggage_seen.find("user=alice"), std::string::npos) << baggage_seen;
  EXPECT_NE(baggage_seen.find("tenant=t%201"), std::string::npos) << baggage_seen;
}

TEST(HttpServerLayer, MalformedTraceHeadersStartANewTraceAndNeverAnErrorResponse) {
  const std::vector<std::vector<std::string>> bad_traceparents = {
      {"garbage"},
      {std::string("00-") + "4BF92F3577B34DA6A3CE929D0E0E4736" + "-" + incoming_parent + "-01"},  // uppercase
      {std::string("ff-") + incoming_trace + "-" + incoming_parent + "-01"},                      // version ff
      {std::string("00-") + std::string(32, '0') + "-" + incoming_parent + "-01"},                // zero trace id
      {std::string("00-") + incoming_trace + "-" + std::string(16, '0') + "-01"},                 // zero span id
      {std::string("00-") + incoming_trace + "-" + incoming_parent + "-01-extra"},                // v00 + more
      {std::string("00-") + incoming_trace + "-" + incoming_parent + "-01",
       std::string("00-") + incoming_trace + "-" + incoming_parent + "-01"},  // duplicated
      {std::string(4000, '-')},
  };
  for (const auto& values : bad_traceparents) {
    traced_server t;
    asyncctx_test::running_server server([&](const http_request& req) { return ok(req); }, 1, t.options());
    asyncctx_test::test_client client(server.endpoint());
    auto req = asyncctx_test::make_get("/x");
    for (const auto& v : values) req.insert("traceparent", v);
    req.set("tracestate", "a b=1,,,=,UPPER=x");  // not the Level 2 grammar (HTTP-valid though)
    req.set("baggage", "%%%;;;=,=");
    EXPECT_EQ(client.request(req).result(), http::status::ok) << values[0];
    const auto spans = t.collector->wait_for(1);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_FALSE(spans[0].parent.is_valid()) << values[0];
    EXPECT_TRUE(spans[0].trace.is_valid());
    EXPECT_NE(spans[0].trace.to_hex(), incoming_trace) << values[0];
    EXPECT_EQ(spans[0].trace_state, "");
  }
}

TEST(HttpServerLayer, ServerSpanCarriesTheStableHttpSemanticConventionAttributes) {
  traced_server t;
  asyncctx_test::running_server server([&](const http_request& req) { return ok(req); }, 1, t.options());
  asyncctx_test::test_client client(server.endpoint());
  auto req = asyncctx_test::make_get("/items/42?color=red&size=2");
  req.set(http::field::host, "shop.example:8443");
  req.set(http::field::user_agent, "curl/8.0");
  req.set("X-Forwarded-For", "203.0.113.7, 10.0.0.1");
  EXPECT_EQ(client.request(req).result(), http::status::ok);
  const auto spans = t.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  const span_data& s = spans[0];
  using asyncctx_test::int_attribute;
  using asyncctx_test::string_attribute;
  EXPECT_EQ(s.kind, span_kind::server);
  EXPECT_EQ(s.name, "GET /items/{id}");
  EXPECT_EQ(string_attribute(s, "http.request.method"), "GET");
  EXPECT_EQ(string_attribute(s, "url.path"), "/items/42");
  EXPECT_EQ(string_attribute(s, "url.query"), "color=red&size=2");
  EXPECT_EQ(string_attribute(s, "url.scheme"), "http");
  EXPECT_EQ(string_attribute(s, "http.route"), "/items/{id}");
  EXPECT_EQ(string_attribute(s, "server.address"), "shop.example");
  EXPECT_EQ(int_attribute(s, "server.port"), 8443);
  EXPECT_EQ(string_attribute(s, "network.protocol.version"), "1.1");
  EXPECT_EQ(string_attribute(s, "user_agent.original"), "curl/8.0");
  EXPECT_EQ(string_attribute(s, "client.address"), "203.0.113.7");
  EXPECT_EQ(int_attribute(s, "http.response.status_code"), 200);
  EXPECT_EQ(s.status, status_code::unset);
  EXPECT_EQ(asyncctx_test::find_attribute(s, "error.type"), nullptr);
}

TEST(HttpServerLayer, NoQueryNoRouteAndUnknownMethodFollowTheConventions) {
  traced_server t;
  asyncctx_test::running_server server([&](const http_request& req) { return ok(req); }, 1, t.options());
  asyncctx_test::test_client client(server.endpoint());
  http_request req{http::verb::unknown, "/plain", 11};
  req.method_string("BREW");
  req.set(http::field::host, "127.0.0.1");
  EXPECT_EQ(client.request(req).result(), http::status::ok);
  const auto spans = t.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "HTTP");
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "http.request.method"), "_OTHER");
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "http.request.method_original"), "BREW");
  EXPECT_EQ(asyncctx_test::find_attribute(spans[0], "url.query"), nullptr);
  EXPECT_EQ(asyncctx_test::find_attribute(spans[0], "http.route"), nullptr);
  EXPECT_EQ(asyncctx_test::int_attribute(spans[0], "server.port"), 80);
}

TEST(HttpServerLayer, ServerErrorsSetErrorStatusButClientErrorsDoNot) {
  for (const auto status : {http::status::service_unavailable, http::status::not_found}) {
    traced_server t;
    asyncctx_test::running_server server(
        [&](const http_request& req) {
          return http_response{status, req.version()};
        },
        1, t.options());
    asyncctx_test::test_client client(server.endpoint());
    EXPECT_EQ(client.request(asyncctx_test::make_get("/x")).result(), status);
    const auto spans = t.collector->wait_for(1);
    ASSERT_EQ(spans.size(), 1u);
    const bool server_error = status == http::status::service_unavailable;
    EXPECT_EQ(spans[0].status, server_error ? status_code::error : status_code::unset);
    EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), server_error ? "503" : "<none>");
    EXPECT_EQ(asyncctx_test::int_attribute(spans[0], "http.response.status_code"), static_cast<int>(status));
  }
}

TEST(HttpServerLayer, SpanOfALaterAnswerEndsWhenThatAnswerIsWritten) {
  traced_server t;
  std::vector<std::thread> answering;
  asyncctx_test::running_server server(
      [&](http_request req, asyncctx::asio::http_responder respond) {
        answering.emplace_back([req = std::move(req), respond = std::move(respond)]() mutable {
          std::this_thread::sleep_for(std::chrono::milliseconds(100));
          respond(http_response{http::status::accepted, req.version()});
        });
      },
      1, t.options());
  asyncctx_test::test_client client(server.endpoint());
  const auto before = std::chrono::system_clock::now();
  EXPECT_EQ(client.request(asyncctx_test::make_get("/x")).result(), http::status::accepted);
  const auto spans = t.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(asyncctx_test::int_attribute(spans[0], "http.response.status_code"), 202);
  const auto took = std::chrono::nanoseconds(spans[0].end_unix_nano - spans[0].start_unix_nano);
  EXPECT_GE(took, std::chrono::milliseconds(90));
  EXPECT_GE(spans[0].start_unix_nano,
            static_cast<std::uint64_t>(
                std::chrono::duration_cast<std::chrono::nanoseconds>(before.time_since_epoch()).count()) -
                1'000'000);
  for (auto& th : answering) th.join();
}

TEST(HttpServerLayer, ALostConnectionEndsTheSpanWithAnError) {
  traced_server t;
  std::vector<asyncctx::asio::http_responder> held;
  std::mutex m;
  {
    asyncctx_test::running_server server(
        [&](http_request, asyncctx::asio::http_responder respond) {
          std::lock_guard lock(m);
          held.push_back(std::move(respond));
        },
        1, t.options());
    std::thread request([&] {
      try {
        asyncctx_test::test_client client(server.endpoint(), std::chrono::seconds(2));
        client.request(asyncctx_test::make_get("/x"));
      } catch (...) {
        // the server stops: no answer
      }
    });
    while (true) {
      {
        std::lock_guard lock(m);
        if (!held.empty()) break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    server.shut_down();
    request.join();
    const auto spans = t.collector->wait_for(1);
    ASSERT_EQ(spans.size(), 1u);
    EXPECT_EQ(spans[0].status, status_code::error);
    EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), "connection_lost");
    // Responders go before the io_context they answer through (http_server.hpp's rule).
    std::lock_guard lock(m);
    held.clear();
  }
}

}  // namespace
