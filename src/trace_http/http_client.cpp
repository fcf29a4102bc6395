#include <asyncctx/after_cancel.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/http_client.hpp>

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <chrono>
#include <optional>
#include <utility>

#include "http_connection.hpp"
#include "semconv.hpp"

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

namespace http = boost::beast::http;

namespace {

// One request's link to the cancellation of the context that sent it. The after_cancel
// callback holds it weakly (no cycle through the registration it owns).
struct in_flight {
  std::atomic<bool> cancelled{false};
  std::optional<after_cancel_handle> registration;
};

}  // namespace

http_client::http_client(boost::asio::any_io_executor executor, http_client_options options)
    : executor_(std::move(executor)), options_(std::move(options)) {}

void http_client::start(const http_url& url, asio::http_request req,
                        std::function<void(boost::system::error_code, asio::http_response)> done) {
  if (url.scheme != "http") {
    // No TLS here: fail like any other operation, through the executor, never inline.
    boost::asio::post(executor_, [done = std::move(done)] {
      done(boost::asio::error::make_error_code(boost::asio::error::operation_not_supported), {});
    });
    return;
  }
  const std::string_view method(req.method_string().data(), req.method_string().size());
  const bool known = semconv::known_method(method);
  std::string full = url.scheme + "://" + url.host_header() + url.target;

  span_options so;
  so.kind = span_kind::client;
  so.attributes = {{"http.request.method", std::string(known ? method : "_OTHER")},
                   {"url.full", std::move(full)},
                   {"server.address", url.host},
                   {"server.port", std::int64_t{url.port}},
                   {"network.protocol.version", std::string("1.1")}};
  if (!known) so.attributes.push_back({"http.request.method_original", std::string(method)});
  const std::string name(known ? method : "HTTP");
  auto s = std::make_shared<span>(options_.provider
                                      ? options_.provider->tracer("asyncctx.http").start_span(name, std::move(so))
                                      : trace::start_span(name, std::move(so)));

  req.target(url.target);
  req.set(http::field::host, url.host_header());
  req.keep_alive(false);
  // The headers name the CLIENT span as the parent; only the injection runs with it current,
  // so the completion sees the caller's own span again.
  with_span(s->ref(), [&] {
    inject(
        [&req](std::string_view n, std::string_view v) {
          req.set(boost::beast::string_view(n.data(), n.size()), boost::beast::string_view(v.data(), v.size()));
        },
        options_.propagation_formats);
  });

  auto finish = [s, done = std::move(done)](boost::beast::error_code ec, asio::http_response res) {
    if (ec) {
      s->set_attribute("error.type", ec == boost::beast::error::timeout            ? std::string("timeout")
                                     : ec == boost::asio::error::operation_aborted ? std::string("cancelled")
                                                                                   : ec.message());
      s->set_status(status_code::error, ec.message());
    } else {
      const unsigned status = res.result_int();
      s->set_attribute("http.response.status_code", std::int64_t{status});
      if (status >= 400) {
        s->set_attribute("error.type", std::to_string(status));
        s->set_status(status_code::error);
      }
    }
    s->end();
    done(ec, std::move(res));
  };

  // The context's cancellation. Started in a cancelled context, the request fails at once and
  // sends nothing (an operation started after the cancellation must not run: the race of
  // Asio's own slots). The context's deadline bounds it when earlier than options.timeout.
  // Cancelled while in flight, it closes its own connection. Either way it completes with
  // operation_aborted; only options.timeout passing first gives beast::error::timeout.
  if (asyncctx::cancelled()) {
    boost::asio::post(executor_, [finish = std::move(finish)]() mutable {
      finish(boost::asio::error::make_error_code(boost::asio::error::operation_aborted), {});
    });
    return;
  }
  auto deadline = std::chrono::steady_clock::now() + options_.timeout;
  const auto context_deadline = asyncctx::current_deadline();
  const bool context_bounds = context_deadline && *context_deadline <= deadline;
  if (context_bounds) deadline = *context_deadline;

  // The connection lives as long as its operations (they hold it); on a strand, so that a
  // cancellation from any thread can close it.
  auto strand = boost::asio::make_strand(executor_);
  auto connection = std::make_shared<wire::http_connection>(strand, url.host, url.port,
                                                            wire::http_limits{options_.body_limit, 64 * 1024});
  auto flight = std::make_shared<in_flight>();
  if (asyncctx::detail::current_cancel_node() != nullptr) {  // a context that can be cancelled
    flight->registration.emplace(after_cancel([weak_flight = std::weak_ptr<in_flight>(flight),
                                               weak = std::weak_ptr<wire::http_connection>(connection), strand] {
      if (auto f = weak_flight.lock()) f->cancelled.store(true, std::memory_order_release);
      boost::asio::post(strand, [weak] {
        if (auto c = weak.lock()) c->close();
      });
    }));
  }
  connection->exchange(std::move(req), deadline,
                       [flight, context_bounds, finish = std::move(finish)](boost::beast::error_code ec,
                                                                            asio::http_response res) mutable {
                         if (flight->registration) flight->registration->unregister();
                         if (ec && (flight->cancelled.load(std::memory_order_acquire) ||
                                    (context_bounds && ec == boost::beast::error::timeout))) {
                           ec = boost::asio::error::make_error_code(boost::asio::error::operation_aborted);
                         }
                         finish(ec, std::move(res));
                       });
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
