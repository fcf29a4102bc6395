// A small HTTP/1.1 client connection on Beast (private to asyncctx::trace_http): connect with a
// deadline, send one request, read its response with size limits, keep the connection for the
// next request when both sides allow it.
//
// Invariants: at most one exchange at a time; every operation is bounded by the exchange's
// deadline (the stream's expiry, and a timer for name resolution); `done` is called exactly
// once per exchange, from the connection's executor. A kept-alive connection that turns out
// closed by the server before any byte of the answer (a stale keep-alive) is reconnected and
// the request sent once more.
// Thread-safety: one exchange at a time, started and completed on the connection's executor
// (a strand or a one-thread io_context); close() must be called there too.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace::wire {

namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct http_limits {
  std::uint64_t body_limit = std::uint64_t{1} << 20;
  std::uint32_t header_limit = 16 * 1024;
};

class http_connection : public std::enable_shared_from_this<http_connection> {
 public:
  using request = http::request<http::string_body>;
  using response = http::response<http::string_body>;
  using callback = std::function<void(beast::error_code, response)>;

  http_connection(boost::asio::any_io_executor ex, std::string host, std::uint16_t port, http_limits limits = {})
      : stream_(ex), resolver_(ex), resolve_timer_(ex), host_(std::move(host)), port_(port), limits_(limits) {}

  // Sends `req` (its Host header is the caller's) and calls `done` with the response, or with
  // the error that ended the exchange (beast::error::timeout at the deadline).
  void exchange(request req, std::chrono::steady_clock::time_point deadline, callback done) {
    req_ = std::move(req);
    req_.prepare_payload();
    deadline_ = deadline;
    done_ = std::move(done);
    retried_stale_ = false;
    if (connected_) {
      send(/*reused=*/true);
    } else {
      connect();
    }
  }

  void close() noexcept {
    beast::error_code ignored;
    resolver_.cancel();
    resolve_timer_.cancel();
    stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
    stream_.close();
    connected_ = false;
  }

  bool connected() const noexcept { return connected_; }

 private:
  void connect() {
    close();
    if (std::chrono::steady_clock::now() >= deadline_) return finish(beast::error::timeout);
    beast::error_code ec;
    const auto address = boost::asio::ip::make_address(host_, ec);
    if (!ec) {
      connect_to(tcp::endpoint(address, port_));
      return;
    }
    // A name: resolve it, bounded by the deadline (the resolver has no expiry of its own).
    resolve_timer_.expires_at(deadline_);
    resolve_timer_.async_wait([self = shared_from_this()](beast::error_code e) {
      if (!e) self->resolver_.cancel();
    });
    resolver_.async_resolve(
        host_, std::to_string(port_),
        [self = shared_from_this()](beast::error_code e, tcp::resolver::results_type results) {
          self->resolve_timer_.cancel();
          if (e) {
            if (e == boost::asio::error::operation_aborted && std::chrono::steady_clock::now() >= self->deadline_) {
              e = beast::error::timeout;
            }
            return self->finish(e);
          }
          self->stream_.expires_at(self->deadline_);
          self->stream_.async_connect(results,
                                      [self](beast::error_code e2, const tcp::endpoint&) { self->on_connect(e2); });
        });
  }

  void connect_to(const tcp::endpoint& ep) {
    stream_.expires_at(deadline_);
    stream_.async_connect(ep, [self = shared_from_this()](beast::error_code e) { self->on_connect(e); });
  }

  void on_connect(beast::error_code ec) {
    if (ec) return finish(ec);
    connected_ = true;
    beast::error_code ignored;
    stream_.socket().set_option(tcp::no_delay(true), ignored);
    send(/*reused=*/false);
  }

  void send(bool reused) {
    if (std::chrono::steady_clock::now() >= deadline_) return finish(beast::error::timeout);
    stream_.expires_at(deadline_);
    http::async_write(stream_, req_, [self = shared_from_this(), reused](beast::error_code ec, std::size_t) {
      if (ec) return self->stale_or_fail(ec, reused);
      self->read(reused);
    });
  }

  void read(bool reused) {
    parser_.emplace();
    parser_->body_limit(limits_.body_limit);
    parser_->header_limit(limits_.header_limit);
    buffer_.clear();
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this(), reused](beast::error_code ec, std::size_t n) {
                       if (ec) {
                         // Nothing of the answer arrived on a reused connection: the server had closed it.
                         if (n == 0 && reused && ec != beast::error::timeout) return self->stale_or_fail(ec, reused);
                         return self->finish(ec);
                       }
                       response res = self->parser_->release();
                       if (!res.keep_alive()) self->close();
                       self->finish({}, std::move(res));
                     });
  }

  void stale_or_fail(beast::error_code ec, bool reused) {
    if (reused && !retried_stale_ && ec != beast::error::timeout) {
      retried_stale_ = true;
      return connect();
    }
    finish(ec);
  }

  void finish(beast::error_code ec, response res = {}) {
    if (ec) close();
    callback done = std::move(done_);
    done_ = nullptr;
    req_ = {};
    if (done) done(ec, std::move(res));
  }

  beast::tcp_stream stream_;
  tcp::resolver resolver_;
  boost::asio::steady_timer resolve_timer_;
  std::string host_;
  std::uint16_t port_;
  http_limits limits_;
  bool connected_ = false;
  bool retried_stale_ = false;
  request req_;
  std::chrono::steady_clock::time_point deadline_;
  callback done_;
  beast::flat_buffer buffer_;
  std::optional<http::response_parser<http::string_body>> parser_;
};

}  // namespace trace::wire
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
