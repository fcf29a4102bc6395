// asyncctx::trace::http_server_layer: the http_server layer (asio/http_layer.hpp) that traces
// every request: it extracts `traceparent`, `tracestate` and `baggage` from the request into
// the request's context and runs the handler inside a SERVER span, ended when the response
// has been written (or the connection was lost first).
//
//   asyncctx::asio::http_server_options options;
//   options.layers.push_back(std::make_shared<asyncctx::trace::http_server_layer>());
//   asyncctx::asio::http_server server(ioc, endpoint, handler, std::move(options));
//
// The span is the parent of everything the handler starts (tasks, pool jobs, Asio handlers,
// client calls): it is the current span of the handler's context. Its parent is the incoming
// traceparent when one valid one was sent; malformed headers start a new trace, never an
// error response (the propagation API ignores what the specifications say to ignore). The
// extracted baggage is the current baggage of the handler's context.
//
// Name and attributes follow the stable HTTP semantic conventions: the span is named
// "{method} {http.route}", or "{method}" without a route; attributes http.request.method
// (methods outside RFC 9110's and PATCH become "_OTHER", with http.request.method_original),
// url.path, url.query (when present), url.scheme ("http"), http.route (when the route
// function names one), server.address and server.port (from the Host header),
// network.protocol.version, user_agent.original, client.address (the first address of
// Forwarded / X-Forwarded-For: the layer does not see the socket), and
// http.response.status_code. A 5xx answer sets status error and error.type to the code; a
// connection lost before the answer sets error.type "connection_lost".
//
// Thread-safety: one layer serves every request of a server, on any io thread at once; its
// per-request state lives in the request's context.
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <functional>
#include <memory>
#include <string>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct http_server_layer_options {
  // Where the spans come from. Empty (the default): the global provider's tracer
  // ("asyncctx.http"), looked up per request, so set_tracer_provider may come later.
  std::shared_ptr<tracer_provider> provider;
  // Which headers are extracted (OTEL_PROPAGATORS: trace_context_format, baggage_format).
  unsigned propagation_formats = all_formats;
  // The matched route template ("/users/{id}") of a request, for http.route and the span
  // name; empty: unknown (a path is never used in its place: it is not low-cardinality).
  std::function<std::string(const asio::http_request&)> route;
};

class http_server_layer final : public asio::http_layer {
 public:
  ASYNCCTX_API explicit http_server_layer(http_server_layer_options options = {});

  ASYNCCTX_API void around_request(const asio::http_request& req, const std::function<void()>& next) override;
  ASYNCCTX_API void on_response(asio::http_response& res) override;
  ASYNCCTX_API void on_end(asio::http_request_outcome outcome) override;

 private:
  http_server_layer_options options_;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
