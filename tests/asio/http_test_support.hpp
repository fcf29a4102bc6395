// Helpers of the HTTP tests: a server running on its own io_context threads, and clients
// whose every operation is bounded in time (a hung server fails the test, never hangs it).
// Everything here is destroyed inside the test that made it, so that no context frame
// outlives the test (the live-context check of the test main).
#pragma once

#include <asyncctx/asio/http_server.hpp>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asyncctx_test {

namespace http = boost::beast::http;
using asyncctx::asio::http_request;
using asyncctx::asio::http_response;
using tcp = boost::asio::ip::tcp;

inline tcp::endpoint loopback_any_port() { return {boost::asio::ip::make_address("127.0.0.1"), 0}; }

// An http_server on a private io_context run by `threads` threads.
class running_server {
 public:
  template <class Handler>
  explicit running_server(Handler handler, int threads = 1, asyncctx::asio::http_server_options options = {}) {
    server_.emplace(ioc_, loopback_any_port(), std::move(handler), std::move(options));
    for (int i = 0; i < threads; ++i) {
      threads_.emplace_back([this] {
        ioc_.run();
        exited_.fetch_add(1);
      });
    }
  }
  running_server(const running_server&) = delete;
  running_server& operator=(const running_server&) = delete;
  ~running_server() { shut_down(); }

  tcp::endpoint endpoint() const { return server_->local_endpoint(); }
  asyncctx::asio::http_server& server() { return *server_; }
  boost::asio::io_context& context() { return ioc_; }

  // Stops the server, lets the io_context run out of work (bounded: 5 s), joins.
  void shut_down() {
    if (threads_.empty()) return;
    server_->stop();
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (exited_.load() < static_cast<int>(threads_.size()) && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    ioc_.stop();
    for (auto& t : threads_) t.join();
    threads_.clear();
    server_.reset();
  }

 private:
  boost::asio::io_context ioc_;
  std::optional<asyncctx::asio::http_server> server_;
  std::vector<std::thread> threads_;
  std::atomic<int> exited_{0};
};

inline http_request make_get(std::string target, std::optional<std::string> request_id = std::nullopt) {
  http_request req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (request_id) req.set("X-Request-ID", *request_id);
  return req;
}

// A keep-alive HTTP client; each request bounded by `timeout`. Throws on any error.
class test_client {
 public:
  explicit test_client(const tcp::endpoint& ep, std::chrono::seconds timeout = std::chrono::seconds(20))
      : stream_(ioc_), timeout_(timeout) {
    stream_.expires_after(timeout_);
    bool done = false;
    boost::beast::error_code result;
    stream_.async_connect(ep, [&](boost::beast::error_code ec) {
      result = ec;
      done = true;
    });
    finish(done, result);
  }

  http_response request(http_request req) {
    req.prepare_payload();
    bool done = false;
    boost::beast::error_code result;
    http_response res;
    stream_.expires_after(timeout_);
    http::async_write(stream_, req, [&](boost::beast::error_code ec, std::size_t) {
      if (ec) {
        result = ec;
        done = true;
        return;
      }
      http::async_read(stream_, buffer_, res, [&](boost::beast::error_code ec2, std::size_t) {
        result = ec2;
        done = true;
      });
    });
    finish(done, result);
    return res;
  }

  // True when the server has closed the connection (a read ends with EOF within `within`).
  bool closed_by_server(std::chrono::milliseconds within) {
    bool done = false;
    boost::beast::error_code result;
    stream_.expires_after(within);
    char byte;
    stream_.async_read_some(boost::asio::buffer(&byte, 1), [&](boost::beast::error_code ec, std::size_t) {
      result = ec;
      done = true;
    });
    ioc_.restart();
    ioc_.run();
    return done && result == boost::asio::error::eof;
  }

 private:
  void finish(bool& done, boost::beast::error_code& result) {
    ioc_.restart();
    ioc_.run();  // bounded: the stream's expiry cancels the operation
    if (!done) throw std::runtime_error("request did not complete");
    if (result) throw boost::system::system_error(result);
  }

  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::chrono::seconds timeout_;
};

// Sends raw bytes and returns everything the server sends until it closes the connection
// (or `timeout` passes; then `closed` is false).
struct raw_exchange {
  std::string received;
  bool closed = false;
};
inline raw_exchange send_raw(const tcp::endpoint& ep, const std::string& bytes,
                             std::chrono::milliseconds timeout = std::chrono::milliseconds(5000)) {
  boost::asio::io_context ioc;
  boost::beast::tcp_stream stream(ioc);
  raw_exchange out;
  stream.expires_after(timeout);
  std::string buffer(4096, '\0');
  std::function<void()> read_more = [&] {
    stream.async_read_some(boost::asio::buffer(buffer), [&](boost::beast::error_code ec, std::size_t n) {
      out.received.append(buffer.data(), n);
      if (ec == boost::asio::error::eof || ec == boost::asio::error::connection_reset) {
        out.closed = true;
        return;
      }
      if (!ec) read_more();
    });
  };
  stream.async_connect(ep, [&](boost::beast::error_code ec) {
    if (ec) return;
    boost::asio::async_write(stream, boost::asio::buffer(bytes), [&](boost::beast::error_code wec, std::size_t) {
      if (!wec) read_more();
    });
  });
  ioc.run();
  return out;
}

}  // namespace asyncctx_test
