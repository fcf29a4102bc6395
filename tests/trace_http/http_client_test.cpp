// trace::http_client against a real HTTP server on 127.0.0.1 (test_backend.hpp): one CLIENT
// span per request, child of the current span, whose id is the injected parent id; tracestate
// and baggage injected; the completion in the caller's context; errors and timeouts on the
// span; nothing recorded under trace::suppress.
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/trace/baggage.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/http_client.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "span_collector.hpp"
#include "test_backend.hpp"

namespace {

using namespace asyncctx::trace;
using asyncctx_test::test_backend;
namespace http = boost::beast::http;

// An io_context run by one thread for the life of the fixture.
struct io_thread {
  boost::asio::io_context ioc;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work{ioc.get_executor()};
  std::thread thread{[this] { ioc.run(); }};
  ~io_thread() {
    work.reset();
    thread.join();
  }
};

struct client_fixture {
  std::shared_ptr<asyncctx_test::span_collector> collector = std::make_shared<asyncctx_test::span_collector>();
  std::shared_ptr<tracer_provider> provider = asyncctx_test::collecting_provider(collector);
  io_thread io;
  http_client client{io.ioc.get_executor(), options()};

  http_client_options options(std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    http_client_options o;
    o.provider = provider;
    o.timeout = timeout;
    return o;
  }

  struct result {
    boost::system::error_code ec;
    asyncctx::asio::http_response res;
    span_context seen_in_completion;
  };
  // Sends from the calling thread's current context and waits for the completion.
  result send(http_client& c, const std::string& url, std::string body = "[]") {
    asyncctx::asio::http_request req{http::verb::post, "/", 11};
    req.body() = std::move(body);
    std::promise<result> done;
    c.async_send(*parse_http_url(url), std::move(req),
                 [&done](boost::system::error_code ec, asyncctx::asio::http_response res) {
                   done.set_value({ec, std::move(res), current_span_context()});
                 });
    return done.get_future().get();
  }
  result send(const std::string& url) { return send(client, url); }
};

const span_data* find(const std::vector<span_data>& spans, const std::string& name) {
  for (const auto& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(HttpClient, EachRequestIsAClientSpanWhoseIdIsTheInjectedParentId) {
  test_backend peer([](const auto&) { return test_backend::answer(200, "ok", "text/plain"); });
  client_fixture f;
  {
    span parent = f.provider->tracer("t").start_span("parent");
    with_span(parent.ref(), [&] {
      const auto first = f.send(peer.url("/a?x=1"));
      const auto second = f.send(peer.url("/b"));
      EXPECT_FALSE(first.ec);
      EXPECT_FALSE(second.ec);
      // The completion runs in the caller's context: its span, not the client span.
      EXPECT_EQ(first.seen_in_completion.span, parent.context().span);
    });
  }
  const auto spans = f.collector->wait_for(3);
  ASSERT_EQ(spans.size(), 3u);
  const span_data* parent = find(spans, "parent");
  ASSERT_NE(parent, nullptr);
  const auto requests = peer.requests();
  ASSERT_EQ(requests.size(), 2u);
  std::vector<std::string> client_ids;
  for (const auto& s : spans) {
    if (s.kind != span_kind::client) continue;
    EXPECT_EQ(s.name, "POST");
    EXPECT_EQ(s.trace, parent->trace);
    EXPECT_EQ(s.parent, parent->span);
    EXPECT_EQ(asyncctx_test::string_attribute(s, "http.request.method"), "POST");
    EXPECT_EQ(asyncctx_test::string_attribute(s, "server.address"), "127.0.0.1");
    EXPECT_EQ(asyncctx_test::int_attribute(s, "server.port"), peer.port());
    EXPECT_EQ(asyncctx_test::int_attribute(s, "http.response.status_code"), 200);
    EXPECT_EQ(asyncctx_test::string_attribute(s, "network.protocol.version"), "1.1");
    client_ids.push_back(s.span.to_hex());
  }
  ASSERT_EQ(client_ids.size(), 2u);
  EXPECT_NE(client_ids[0], client_ids[1]);
  EXPECT_EQ(requests[0].target(), "/a?x=1");
  const std::string url_full = asyncctx_test::string_attribute(*find(spans, "POST"), "url.full");
  EXPECT_TRUE(url_full == peer.url("/a?x=1") || url_full == peer.url("/b")) << url_full;
  for (std::size_t i = 0; i < 2; ++i) {
    const std::string tp(requests[i]["traceparent"]);
    EXPECT_EQ(tp.substr(0, 36), "00-" + parent->trace.to_hex() + "-");
    EXPECT_EQ(tp.substr(36, 16), client_ids[i]) << "request " << i << " names its own client span as parent";
  }
}

TEST(HttpClient, TracestateAndBaggageAreInjected) {
  test_backend peer([](const auto&) { return test_backend::answer(200); });
  client_fixture f;
  header_carrier incoming;
  incoming.add("traceparent", "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  incoming.add("tracestate", "congo=t61rcWkgMzE");
  incoming.add("baggage", "user=alice,tenant=t%201");
  with_extracted(extract(incoming), [&] { EXPECT_FALSE(f.send(peer.url()).ec); });
  const auto req = peer.requests().at(0);
  EXPECT_TRUE(std::string(req["traceparent"]).starts_with("00-4bf92f3577b34da6a3ce929d0e0e4736-"));
  EXPECT_NE(std::string(req["traceparent"]).substr(36, 16), "00f067aa0ba902b7");
  EXPECT_EQ(req["tracestate"], "congo=t61rcWkgMzE");
  const std::string bag(req["baggage"]);
  EXPECT_NE(bag.find("user=alice"), std::string::npos) << bag;
  EXPECT_NE(bag.find("tenant=t%201"), std::string::npos) << bag;
}

TEST(HttpClient, ErrorAnswersAndFailuresMarkTheSpan) {
  std::uint16_t closed_port = 0;
  {
    boost::asio::io_context ioc;
    boost::asio::ip::tcp::acceptor a(ioc, {boost::asio::ip::make_address("127.0.0.1"), 0});
    closed_port = a.local_endpoint().port();
  }
  test_backend peer([](const auto&) { return test_backend::answer(500); });
  client_fixture f;
  EXPECT_FALSE(f.send(peer.url()).ec);
  const auto refused = f.send("http://127.0.0.1:" + std::to_string(closed_port) + "/");
  EXPECT_TRUE(refused.ec);
  const auto spans = f.collector->wait_for(2);
  ASSERT_EQ(spans.size(), 2u);
  for (const auto& s : spans) EXPECT_EQ(s.status, status_code::error);
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), "500");
  EXPECT_NE(asyncctx_test::string_attribute(spans[1], "error.type"), "<none>");
}

TEST(HttpClient, ARequestIsBoundedByTheTimeout) {
  test_backend peer([](const auto&) { return test_backend::hang_up(); });
  client_fixture f;
  http_client quick(f.io.ioc.get_executor(), f.options(std::chrono::milliseconds(200)));
  const auto start = std::chrono::steady_clock::now();
  const auto r = f.send(quick, peer.url());
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(3));
  EXPECT_EQ(r.ec, boost::beast::error::timeout);
  const auto spans = f.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), "timeout");
}

TEST(HttpClient, UnderSuppressNoSpanIsMadeAndTheCallersContextPassesThrough) {
  test_backend peer([](const auto&) { return test_backend::answer(200); });
  client_fixture f;
  {
    span parent = f.provider->tracer("t").start_span("parent");
    with_span(parent.ref(), [&] { suppress([&] { EXPECT_FALSE(f.send(peer.url()).ec); }); });
    const std::string tp(peer.requests().at(0)["traceparent"]);
    EXPECT_EQ(tp.substr(36, 16), parent.context().span.to_hex());
  }
  const auto spans = f.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(spans[0].name, "parent");
}

TEST(HttpClient, WorksAsAnAsioOperationInATask) {
  test_backend peer([](const auto&) { return test_backend::answer(201, "made", "text/plain"); });
  client_fixture f;
  span parent = f.provider->tracer("t").start_span("parent");
  const span_context parent_context = parent.context();
  auto call = [&]() -> asyncctx::task<std::pair<unsigned, bool>> {
    asyncctx::asio::http_request req{http::verb::get, "/", 11};
    auto res = co_await f.client.async_send(*parse_http_url(peer.url("/t")), std::move(req), asyncctx::asio::use_task);
    co_return std::pair{res.result_int(), current_span_context().span == parent_context.span};
  };
  const auto [status, same_span] = with_span(parent.ref(), [&] { return asyncctx::sync_wait(call()); });
  EXPECT_EQ(status, 201u);
  EXPECT_TRUE(same_span);  // after the co_await, the task's own span is current again
  parent.end();
  EXPECT_EQ(f.collector->wait_for(2).size(), 2u);
}

// The context's deadline bounds the request when it is earlier than options.timeout, and the
// request ends as a cancelled operation: operation_aborted, error.type "cancelled".
TEST(HttpClient, TheContextsEarlierDeadlineEndsTheRequest) {
  test_backend peer([](const auto&) { return test_backend::hang_up(); });
  client_fixture f;  // options.timeout: 10 s
  const auto start = std::chrono::steady_clock::now();
  const auto r = asyncctx::with_timeout(std::chrono::milliseconds(200), [&] { return f.send(peer.url()); });
  const auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(150));
  EXPECT_LT(took, std::chrono::seconds(3));
  EXPECT_EQ(r.ec, boost::asio::error::operation_aborted);
  const auto spans = f.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), "cancelled");
}

TEST(HttpClient, CancellingTheContextAbortsTheRequestInFlight) {
  test_backend peer([](const auto&) { return test_backend::hang_up(); });
  client_fixture f;
  std::future<client_fixture::result> sent;
  asyncctx::with_cancel([&](const asyncctx::cancel_handle& h) {
    sent = std::async(std::launch::async, asyncctx::snapshot::wrap([&] { return f.send(peer.url()); }));
    while (peer.request_count() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    h.cancel();
  });
  ASSERT_EQ(sent.wait_for(std::chrono::seconds(3)), std::future_status::ready) << "the request was not aborted";
  EXPECT_EQ(sent.get().ec, boost::asio::error::operation_aborted);
}

TEST(HttpClient, ARequestStartedInACancelledContextFailsAtOnceAndSendsNothing) {
  test_backend peer([](const auto&) { return test_backend::answer(200); });
  client_fixture f;
  const auto r = asyncctx::with_cancel([&](const asyncctx::cancel_handle& h) {
    h.cancel();
    return f.send(peer.url());
  });
  EXPECT_EQ(r.ec, boost::asio::error::operation_aborted);
  EXPECT_EQ(peer.request_count(), 0u);
  const auto spans = f.collector->wait_for(1);
  ASSERT_EQ(spans.size(), 1u);
  EXPECT_EQ(asyncctx_test::string_attribute(spans[0], "error.type"), "cancelled");
}

}  // namespace
