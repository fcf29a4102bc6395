// asyncctx::asio::http_layer: per-request behaviour that http_server runs around every
// request's handler, in the request's own context — the extension point through which a
// request gets more than its request_context (a trace span, a deadline, a dependency scope).
//
// A layer is shared by every request and called from the server's io threads, several at
// once: its members must be safe to call concurrently (per-request state belongs in the
// context it binds, never in the layer object).
//
// Order: http_server_options::layers[0] is the outermost. around_request runs outermost
// first; on_response and on_end run innermost first, each in the handler's context (the one
// the innermost next() ran the handler in), so whatever a layer bound around next() is what
// it sees again there.
//
// Exactly once per request whose handler was reached, on_end reports how it ended:
// `responded` after its response was written, `connection_lost` when the connection was
// closed or failed first (the server stopping, a write error, a client gone). A response the
// handler gives after that is dropped and sees no on_response.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <functional>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

using http_request = boost::beast::http::request<boost::beast::http::string_body>;
using http_response = boost::beast::http::response<boost::beast::http::string_body>;

enum class http_request_outcome { responded, connection_lost };

class http_layer {
 public:
  http_layer() = default;
  http_layer(const http_layer&) = delete;
  http_layer& operator=(const http_layer&) = delete;
  virtual ~http_layer() = default;

  // Runs in the request's fresh context (the server's base context, the request_context and
  // whatever the outer layers bound), before the handler. Must call next() exactly once,
  // synchronously, inside whatever it binds (`my_variable.run(value, next)`): the handler and
  // everything it starts inherit those bindings. `req` is valid until next() is called (the
  // handler may take it). A throw before next() answers 500 without running the handler; a
  // throw after it is only reported.
  virtual void around_request(const http_request& req, const std::function<void()>& next) {
    static_cast<void>(req);
    next();
  }

  // Runs in the handler's context just before the response is written: may change it
  // (headers, status). Not called for a request whose connection was lost first.
  virtual void on_response(http_response& res) { static_cast<void>(res); }

  // Runs in the handler's context exactly once per request whose handler was reached (a
  // request refused by a throwing layer never reached it and gets no on_end).
  virtual void on_end(http_request_outcome outcome) { static_cast<void>(outcome); }
};

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
