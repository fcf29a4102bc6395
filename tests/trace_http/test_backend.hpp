// A scriptable HTTP/1.1 server on 127.0.0.1 for the OTLP exporter and client tests: a real
// Beast server (the protocol under test is HTTP itself), whose answer to each request is
// chosen by the test: a response (after a delay), a close without answer, no answer at all
// (a hung back end), or raw bytes (garbage). It records every request and counts connections.
// Runs on its own io_context thread; everything is torn down in the destructor.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asyncctx_test {

namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using btcp = boost::asio::ip::tcp;

class test_backend {
 public:
  using request = bhttp::request<bhttp::string_body>;
  using response = bhttp::response<bhttp::string_body>;

  struct action {
    enum kind { respond, close, hang, raw } what = respond;
    response res{bhttp::status::ok, 11};
    std::string bytes;  // for raw
    std::chrono::milliseconds delay{0};
    bool close_after = false;  // close the connection after answering, without saying so
  };

  static action answer(unsigned status, std::string body = {}, std::string content_type = "application/x-protobuf") {
    action a;
    a.res.result(status);
    a.res.body() = std::move(body);
    if (!content_type.empty()) a.res.set(bhttp::field::content_type, content_type);
    return a;
  }
  static action close_connection() {
    action a;
    a.what = action::close;
    return a;
  }
  static action hang_up() {
    action a;
    a.what = action::hang;
    return a;
  }
  static action garbage(std::string bytes) {
    action a;
    a.what = action::raw;
    a.bytes = std::move(bytes);
    return a;
  }

  explicit test_backend(std::function<action(const request&)> behaviour)
      : behaviour_(std::move(behaviour)), acceptor_(ioc_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { ioc_.run(); });
  }
  test_backend(const test_backend&) = delete;
  test_backend& operator=(const test_backend&) = delete;
  ~test_backend() {
    boost::asio::post(ioc_, [this] {
      beast::error_code ignored;
      acceptor_.close(ignored);
      for (auto& s : sessions_) {
        s->timer.cancel();
        s->stream.close();
      }
    });
    thread_.join();  // run() returns once every operation is cancelled
    sessions_.clear();
  }

  std::uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string url(const std::string& path = "/v1/traces") const {
    return "http://127.0.0.1:" + std::to_string(port()) + path;
  }

  std::vector<request> requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
  }
  std::size_t request_count() const {
    std::lock_guard lock(mutex_);
    return requests_.size();
  }
  std::vector<std::chrono::steady_clock::time_point> arrivals() const {
    std::lock_guard lock(mutex_);
    return arrivals_;
  }
  int connections() const { return connections_.load(); }

 private:
  struct session {
    explicit session(btcp::socket s) : stream(std::move(s)), timer(stream.get_executor()) {}
    beast::tcp_stream stream;
    beast::flat_buffer buffer;
    request req;
    response res;
    boost::asio::steady_timer timer;
    std::string raw;
    bool close_after = false;
  };

  void accept() {
    acceptor_.async_accept([this](beast::error_code ec, btcp::socket socket) {
      if (ec) return;
      ++connections_;
      auto s = std::make_shared<session>(std::move(socket));
      sessions_.push_back(s);
      read(s);
      accept();
    });
  }

  void read(const std::shared_ptr<session>& s) {
    s->req = {};
    bhttp::async_read(s->stream, s->buffer, s->req, [this, s](beast::error_code ec, std::size_t) {
      if (ec) return;
      {
        std::lock_guard lock(mutex_);
        requests_.push_back(s->req);
        arrivals_.push_back(std::chrono::steady_clock::now());
      }
      action a = behaviour_(s->req);
      s->timer.expires_after(a.delay);
      s->timer.async_wait([this, s, a = std::move(a)](beast::error_code e) mutable {
        if (e) return;
        act(s, std::move(a));
      });
    });
  }

  void act(const std::shared_ptr<session>& s, action a) {
    switch (a.what) {
      case action::respond:
        s->res = std::move(a.res);
        s->res.version(11);
        s->res.keep_alive(s->req.keep_alive());
        s->res.prepare_payload();
        s->close_after = a.close_after;
        bhttp::async_write(s->stream, s->res, [this, s](beast::error_code ec, std::size_t) {
          if (ec || !s->res.keep_alive() || s->close_after) return s->stream.close();
          read(s);
        });
        return;
      case action::close:
        s->stream.close();
        return;
      case action::hang:
        return;  // keeps the socket open (sessions_ holds it) and never answers
      case action::raw:
        s->raw = std::move(a.bytes);
        boost::asio::async_write(s->stream, boost::asio::buffer(s->raw), [s](beast::error_code, std::size_t) {
          beast::error_code ignored;
          s->stream.socket().shutdown(btcp::socket::shutdown_send, ignored);
        });
        return;
    }
  }

  std::function<action(const request&)> behaviour_;
  boost::asio::io_context ioc_;
  btcp::acceptor acceptor_;
  std::thread thread_;
  std::vector<std::shared_ptr<session>> sessions_;  // io thread only; keeps hung ones open
  mutable std::mutex mutex_;
  std::vector<request> requests_;
  std::vector<std::chrono::steady_clock::time_point> arrivals_;
  std::atomic<int> connections_{0};
};

}  // namespace asyncctx_test
