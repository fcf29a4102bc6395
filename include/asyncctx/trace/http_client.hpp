// asyncctx::trace::http_client: an HTTP/1.1 client on Beast whose every request is a CLIENT
// span, child of the current span, with `traceparent`, `tracestate` and `baggage` injected.
//
//   asyncctx::trace::http_client client(ioc.get_executor());
//   http_request req{boost::beast::http::verb::post, "/", 11};
//   req.body() = "[]";
//   // in an asyncctx::task:
//   http_response res = co_await client.async_send(*parse_http_url("http://127.0.0.1:8080/x"),
//                                                  std::move(req), asyncctx::asio::use_task);
//   // or with a callback: client.async_send(url, req, [](boost::system::error_code ec, http_response res) {...});
//
// async_send is an Asio asynchronous operation (any completion token: callbacks,
// asyncctx::asio::use_task, use_awaitable, use_future...) completing with
// (error_code, http_response). Each request is one span named "{method}" (stable HTTP
// semantic conventions) with http.request.method, url.full, server.address, server.port,
// network.protocol.version and, once answered, http.response.status_code; a 4xx or 5xx answer
// sets status error and error.type to the code, a failed request sets error.type ("timeout" or
// the error's name). The headers carry the CLIENT span's id as the parent id, so every
// outbound call has its own parent id. The completion runs in the caller's context (the span
// is current only while the headers are written), and under trace::suppress no span is made
// and the caller's context is propagated unchanged.
//
// Each request uses a fresh connection (Connection: close): the helper is for calls made
// while handling requests, not a connection pool. The whole request is bounded by
// options.timeout (then it completes with beast::error::timeout, error.type "timeout"); the
// response body by options.body_limit.
//
// The calling context's deadline and cancellation (cancellation.hpp) are honoured: the
// request is bounded by the context's deadline when that is earlier than options.timeout; a
// cancellation of the context while the request is in flight closes its connection; a request
// started in a context already cancelled sends nothing. In all three cases it completes with
// boost::asio::error::operation_aborted, and the span's error.type is "cancelled".
// Thread-safety: async_send may be called from any thread at once; the client must outlive
// the requests it started only as an object holding their options (each request owns its
// connection).
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/trace/http_url.hpp>
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct http_client_options {
  std::chrono::milliseconds timeout{30000};
  std::uint64_t body_limit = std::uint64_t{8} << 20;
  // Where the spans come from; empty: the global provider's tracer ("asyncctx.http").
  std::shared_ptr<tracer_provider> provider;
  unsigned propagation_formats = all_formats;
};

class http_client {
 public:
  using completion = void(boost::system::error_code, asio::http_response);

  ASYNCCTX_API explicit http_client(boost::asio::any_io_executor executor, http_client_options options = {});

  // Sends `req` to `url` (its target, Host and Connection headers are set from the url) and
  // completes with the response or the error.
  template <class Token>
  auto async_send(const http_url& url, asio::http_request req, Token&& token) {
    return boost::asio::async_initiate<Token, completion>(
        // NOLINTNEXTLINE(performance-unnecessary-value-param): r is moved into start().
        [this](auto handler, const http_url& u, asio::http_request r) {
          auto shared = std::make_shared<decltype(handler)>(std::move(handler));
          start(u, std::move(r),
                [shared](boost::system::error_code ec, asio::http_response res) { (*shared)(ec, std::move(res)); });
        },
        token, url, std::move(req));
  }

  const http_client_options& options() const noexcept { return options_; }

 private:
  ASYNCCTX_API void start(const http_url& url, asio::http_request req,
                          std::function<void(boost::system::error_code, asio::http_response)> done);

  boost::asio::any_io_executor executor_;
  http_client_options options_;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
