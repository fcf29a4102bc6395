// trace_context_service: the service the W3C trace-context test harness (and our interop
// driver) talks to.
//
//   trace_context_service [--port N]      (N = 0, the default: any free port)
//
// Prints exactly one line to stdout, `listening on 127.0.0.1:PORT`, then serves:
//   POST /test   body: a JSON array [{"url": "...", "arguments": ...}, ...]. For each item, in
//                order, POSTs `arguments` (as JSON) to `url` from a new CLIENT span, child of
//                the request's SERVER span (itself the child of the incoming traceparent), with
//                traceparent / tracestate / baggage injected; then answers 200. A body that is
//                not such an array gets 400.
//   POST /flush  force-flushes the exporters, then answers 200.
// Tracing is configured from the OTEL_* environment variables (asyncctx/trace/otel_environment.hpp):
// service name, exporters (otlp, console: JSON lines on stderr, none), endpoint, protocol,
// sampler, batch processor, propagators. SIGTERM / SIGINT flush and shut down the exporters,
// then exit.
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/trace/http_client.hpp>
#include <asyncctx/trace/http_server_layer.hpp>
#include <asyncctx/trace/otel_environment.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

namespace http = boost::beast::http;
using asyncctx::asio::http_request;
using asyncctx::asio::http_response;

http_response answer(http::status status, std::string body) {
  http_response res{status, 11};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body);
  return res;
}

struct call {
  asyncctx::trace::http_url url;
  std::string body;
};

// The items of a /test body; nullopt when it is not an array of {"url": string, "arguments"}.
std::optional<std::vector<call>> parse_test_body(const std::string& body) {
  const nlohmann::json doc = nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_array()) return std::nullopt;
  std::vector<call> calls;
  for (const nlohmann::json& item : doc) {
    if (!item.is_object() || !item.contains("url") || !item["url"].is_string()) return std::nullopt;
    auto url = asyncctx::trace::parse_http_url(item["url"].get<std::string>());
    if (!url) return std::nullopt;
    const nlohmann::json arguments = item.contains("arguments") ? item["arguments"] : nlohmann::json::array();
    calls.push_back({std::move(*url), arguments.dump()});
  }
  return calls;
}

}  // namespace

int main(int argc, char** argv) {
  unsigned long port = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--port" && i + 1 < argc) {
      char* end = nullptr;
      port = std::strtoul(argv[++i], &end, 10);
      if (*end != '\0' || port > 65535) {
        std::fprintf(stderr, "trace_context_service: --port takes 0-65535\n");
        return 2;
      }
    } else {
      std::fprintf(stderr, "usage: %s [--port N]\n", argv[0]);
      return 2;
    }
  }

  // Tracing from the environment; the console exporter writes to stderr (stdout carries only
  // the listening line).
  auto tracing = asyncctx::trace::make_tracing(asyncctx::trace::read_otel_environment(), std::cerr);
  asyncctx::trace::set_tracer_provider(tracing.provider);

  boost::asio::io_context ioc;
  asyncctx::trace::http_client_options client_options;
  client_options.timeout = std::chrono::seconds(10);
  client_options.provider = tracing.provider;
  client_options.propagation_formats = tracing.propagation_formats;
  asyncctx::trace::http_client client(ioc.get_executor(), client_options);

  asyncctx::trace::http_server_layer_options layer;
  layer.provider = tracing.provider;
  layer.propagation_formats = tracing.propagation_formats;
  layer.route = [](const http_request& req) -> std::string {
    const std::string_view target(req.target().data(), req.target().size());
    const std::string_view path = target.substr(0, target.find('?'));
    return path == "/test" || path == "/flush" ? std::string(path) : std::string();
  };
  asyncctx::asio::http_server_options options;
  // W3C Baggage asks for 8,192 bytes of baggage to be propagated, beside a full tracestate.
  options.header_limit = 16 * 1024;
  options.layers.push_back(std::make_shared<asyncctx::trace::http_server_layer>(std::move(layer)));

  auto handler = [&](http_request req) -> asyncctx::task<http_response> {
    const std::string_view target(req.target().data(), req.target().size());
    if (req.method() == http::verb::post && target == "/flush") {
      tracing.provider->force_flush(std::chrono::seconds(10));
      co_return answer(http::status::ok, "flushed\n");
    }
    if (req.method() != http::verb::post || target != "/test") co_return answer(http::status::not_found, "not found\n");
    auto calls = parse_test_body(req.body());
    if (!calls) co_return answer(http::status::bad_request, "expected [{\"url\": ..., \"arguments\": ...}]\n");
    for (call& c : *calls) {
      http_request out{http::verb::post, c.url.target, 11};
      out.set(http::field::content_type, "application/json");
      out.body() = std::move(c.body);
      try {
        co_await client.async_send(c.url, std::move(out), asyncctx::asio::use_task);
      } catch (const std::exception& e) {
        // The harness checks what the callee saw; a callee that fails is not our answer.
        std::fprintf(stderr, "trace_context_service: POST %s failed: %s\n", c.url.target.c_str(), e.what());
      }
    }
    co_return answer(http::status::ok, "ok\n");
  };

  // Installed before the listening line, so that a SIGTERM sent as soon as it is read is
  // already handled.
  std::unique_ptr<asyncctx::asio::http_server> server;
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (server) server->stop();
    ioc.stop();
  });
  try {
    server = std::make_unique<asyncctx::asio::http_server>(
        ioc,
        boost::asio::ip::tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), static_cast<unsigned short>(port)),
        handler, std::move(options));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "trace_context_service: cannot listen on port %lu: %s\n", port, e.what());
    return 1;
  }
  std::printf("listening on 127.0.0.1:%u\n", static_cast<unsigned>(server->local_endpoint().port()));
  std::fflush(stdout);

  // Two threads: a /flush that waits for the exporters keeps the other one serving.
  std::thread second([&] { ioc.run(); });
  ioc.run();
  second.join();
  // Let the stopped server's connections close, so that the spans of requests in progress
  // end (connection_lost) before the exporters flush.
  server.reset();
  ioc.restart();
  ioc.run_for(std::chrono::seconds(2));
  tracing.provider->force_flush(std::chrono::seconds(5));
  tracing.provider->shutdown(std::chrono::seconds(5));
  return 0;
}
