// asyncctx::asio::http_cancellation_layer: gives every request of an http_server a deadline
// and a cancellation of its own (cancellation.hpp), as Go's net/http gives each request a
// context:
//
//   options.layers.push_back(std::make_shared<asyncctx::asio::http_cancellation_layer>(
//       asyncctx::asio::http_cancellation_layer::options{.deadline = std::chrono::seconds(5)}));
//
// * The handler, and everything it starts (timers, sockets, pool jobs, tasks), runs in a
//   cancellable context whose deadline is `deadline` from the request's arrival (none when
//   zero), capped by any deadline of the server's base context.
// * The client disconnecting before its response is written cancels that context with cause
//   cancel_errc::client_gone (http_server watches the socket while a callback-style or
//   coroutine handler is pending). Writing the response ends the request: its context is then
//   cancelled with cause cancel_errc::cancelled, so work the handler left running stops and the
//   deadline's timer entry goes (use without_cancel for work that must outlive the request).
// * A request whose deadline passed before its response gets 503 Service Unavailable, whatever
//   the handler answered (a handler that stops at the deadline usually throws: a 500): the
//   server itself gave up on the request, so 503 and not 504, which says that an upstream
//   gateway did not answer. A handler that ignores its cancellation is not answered for it.
// Thread-safety: one layer serves every request on every io thread; it keeps no per-request
// state (the request's cancel_handle lives in its context).
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/variable.hpp>

#include <boost/beast/http/field.hpp>
#include <boost/beast/http/status.hpp>

#include <chrono>
#include <functional>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

class http_cancellation_layer final : public http_layer {
 public:
  struct options {
    std::chrono::steady_clock::duration deadline = std::chrono::steady_clock::duration::zero();  // zero: none
  };

  http_cancellation_layer() : http_cancellation_layer(options{}) {}
  explicit http_cancellation_layer(options opts) : options_(opts) {}

  void around_request(const http_request& req, const std::function<void()>& next) override {
    static_cast<void>(req);
    auto in_request = [&](cancel_handle h) { handle_.run(std::move(h), next); };
    if (options_.deadline > std::chrono::steady_clock::duration::zero()) {
      with_timeout(options_.deadline, in_request);
    } else {
      with_cancel(in_request);
    }
  }

  void on_response(http_response& res) override {
    if (cause() != cancel_errc::deadline_exceeded) return;
    const unsigned version = res.version();
    res = http_response(boost::beast::http::status::service_unavailable, version);
    res.set(boost::beast::http::field::content_type, "text/plain");
    res.body() = "deadline exceeded\n";
  }

  void on_end(http_request_outcome outcome) override {
    if (const cancel_handle* h = handle_.get()) {
      h->cancel(outcome == http_request_outcome::connection_lost ? make_error_code(cancel_errc::client_gone)
                                                                 : make_error_code(cancel_errc::cancelled));
    }
  }

 private:
  options options_;
  asyncctx::variable<cancel_handle> handle_;
};

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
