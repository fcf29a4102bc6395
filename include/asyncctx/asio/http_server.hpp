// asyncctx::asio::http_server: a small HTTP/1.1 server (Boost.Beast) that runs every request
// in a fresh context holding its request_context.
//
//   asyncctx::asio::http_server server(ioc, {address, 0}, [](const http_request& req) {
//     http_response res{http::status::ok, req.version()};
//     res.body() = asyncctx::asio::current_request()->id;  // also in timers, pools, tasks
//     return res;
//   });
//
// What every request gets:
//   * a fresh context: the context current when the server was constructed (the "base"
//     context, for server-wide values) plus the request_context — never anything of the
//     previous request on the same keep-alive connection (Node's http.Agent pooling bug);
//   * a request id: the incoming X-Request-ID when it is present exactly once and valid
//     (is_valid_request_id), otherwise a newly generated one; an invalid value is never used;
//   * X-Request-ID echoed in the response (overriding any the handler set, so that the header
//     always names the context the request ran in).
//   * whatever the server's layers (options.layers, asyncctx/asio/http_layer.hpp) bind around
//     the handler, with their on_response / on_end calls in the same context.
// Failures never escape: a handler that throws gets the client a 500 (the exception goes to
// options.on_handler_error, called in the request's context) and the connection carries on;
// malformed HTTP gets a 400 (413 / 431 for the size limits) and the connection is closed.
//
// Handlers, chosen by what the callable accepts:
//   * synchronous:    http_response(const http_request&)
//   * callback-style: void(http_request, http_responder) — answer later, from any thread, by
//                     calling the responder once; a responder dropped unanswered sends a 500.
//   * coroutine:      asyncctx::task<http_response>(http_request) — the task is created in the
//                     request's context (so it keeps it across every co_await, on any thread)
//                     and started at once; an exception leaving it is a 500.
//
// Disconnects: while a callback-style or coroutine handler has not answered, the session keeps
// a read on the socket, so that a client that closes or resets its connection ends the request
// at once (layers get on_end(connection_lost), which http_cancellation_layer turns into the
// cancellation of the request's context). Bytes of a pipelined next request read meanwhile
// are kept for it (up to header_limit; past that the session stops watching). A client that
// half-closes its side after sending a request counts as gone.
//
// Internal I/O (reads, writes, accepts) is always started in the base context, so with the
// asyncctx::asio handler-tracking hook nothing of a request is held by the connection after
// the request; without the hook the server still binds each request explicitly, so the
// handler's own code sees its request either way (its own async operations need the hook, or
// snapshot::wrap / the pool's capture, to carry it further).
//
// Thread-safety: the io_context may be run by any number of threads (each connection is on
// its own strand, the acceptor on another). stop() may be called from any thread. Destroy the
// server, and let go of every http_responder (join pools that hold them), before destroying the
// io_context, as for any Asio I/O object.
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/task.hpp>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

struct http_server_options {
  // false: requests run without a request context and get no X-Request-ID (the baseline of
  // the requests/s benchmark, bench/http_rps.sh).
  bool request_context = true;
  std::uint64_t body_limit = std::uint64_t{1024} * 1024;
  // All header fields of a request (431 past it). A service that propagates W3C Baggage needs
  // more than 8 KiB (the specification asks for 8,192 bytes of baggage to be propagated):
  // trace_context_service sets 16 KiB.
  std::uint32_t header_limit = 8 * 1024;
  // Limit for each read (including a keep-alive connection's wait for its next request) and
  // each write; the connection is closed when it expires.
  std::chrono::steady_clock::duration timeout = std::chrono::seconds(30);
  // Receives the exception of a handler that threw, in the request's context (so a logger
  // sees the request id). Empty: one line on stderr. May be called from several io / pool
  // threads at once; an exception it throws is ignored.
  std::function<void(std::exception_ptr)> on_handler_error;
  // Run around every request, [0] outermost (asyncctx/asio/http_layer.hpp): what a request
  // carries beyond its request_context (a span, a deadline, a scope).
  std::vector<std::shared_ptr<http_layer>> layers{};
};

namespace detail {
class http_session;
struct http_server_state;
}  // namespace detail

// The one-shot answer of a callback-style handler. Move-only; calling it sends the response
// (from any thread); later calls do nothing. Destroyed unanswered, it sends a 500, so a
// request is never left hanging. Invariant: answers only the request it was made for, even
// when called after that request already got a response (a 500 for a throw, say).
// Thread-safety: one responder is used by one thread at a time (like any object); the session
// it answers may be on any thread.
class http_responder {
 public:
  http_responder() noexcept = default;
  http_responder(http_responder&& other) noexcept
      : session_(std::move(other.session_)), seq_(std::exchange(other.seq_, 0)) {}
  http_responder& operator=(http_responder&& other) noexcept {
    if (this != &other) {
      abandon();
      session_ = std::move(other.session_);
      seq_ = std::exchange(other.seq_, 0);
    }
    return *this;
  }
  http_responder(const http_responder&) = delete;
  http_responder& operator=(const http_responder&) = delete;
  ~http_responder() { abandon(); }

  // Sends `res` (the first call only). Returns false when nothing was sent: the responder was
  // already used, the request had been answered otherwise, or its connection was closed.
  bool operator()(http_response res);

  // Reports `error` as a handler failure (options.on_handler_error, in the current context)
  // and answers 500. Returns false, reporting nothing, when the responder was already used.
  bool fail(std::exception_ptr error);

  // True while the responder may still answer.
  explicit operator bool() const noexcept { return session_ != nullptr; }

 private:
  friend class detail::http_session;
  http_responder(std::shared_ptr<detail::http_session> s, std::uint64_t seq) noexcept
      : session_(std::move(s)), seq_(seq) {}
  void abandon() noexcept;

  std::shared_ptr<detail::http_session> session_;
  std::uint64_t seq_ = 0;
};

namespace detail {

inline http_response make_error_response(boost::beast::http::status status, std::string_view text) {
  http_response res{status, 11};
  res.set(boost::beast::http::field::content_type, "text/plain");
  res.body().assign(text);
  res.body() += '\n';
  return res;
}

// Shared by the server object, the accept loop and every session, so that whatever is still
// queued in the io_context may outlive the http_server object safely.
struct http_server_state {
  http_server_state(boost::asio::io_context& ioc_, http_server_options opts)
      : ioc(ioc_), options(std::move(opts)), acceptor(boost::asio::make_strand(ioc_)), retry(acceptor.get_executor()) {}

  boost::asio::io_context& ioc;
  http_server_options options;
  asyncctx::snapshot base;  // the context each request's context is built on
  std::function<http_response(const http_request&)> sync_handler;
  std::function<void(http_request, http_responder)> async_handler;
  boost::asio::ip::tcp::acceptor acceptor;  // on its own strand
  boost::asio::steady_timer retry;          // backs off after an accept error (EMFILE)
  std::atomic<bool> stopped{false};

  std::mutex mutex;  // guards sessions
  std::unordered_map<const http_session*, std::weak_ptr<http_session>> sessions;

  void report_handler_error(const std::exception_ptr& e) noexcept {
    try {
      if (options.on_handler_error) {
        options.on_handler_error(e);
        return;
      }
      std::string what = "unknown exception";
      try {
        std::rethrow_exception(e);
      } catch (const std::exception& ex) {
        what = ex.what();
      } catch (...) {
      }
      const request_context* rc = current_request();
      std::fprintf(stderr, "asyncctx::asio::http_server: handler of request %s threw: %s\n",
                   rc != nullptr ? rc->id.c_str() : "-", what.c_str());
    } catch (...) {
      // A failing error reporter must not take the connection down.
    }
  }
};

// One connection: reads a request, runs the handler in the request's context, writes the
// answer, and reads the next one (HTTP/1.1 keep-alive; pipelined requests are served in
// order, one at a time).
// Invariants: every member but pending_ is touched only on the connection's strand; at most
// one request is being handled at a time, and pending_ holds its sequence number until it is
// answered (0: none), so that a late or duplicate answer never reaches another request.
class http_session : public std::enable_shared_from_this<http_session> {
 public:
  http_session(boost::asio::ip::tcp::socket&& socket, std::shared_ptr<http_server_state> state)
      : stream_(std::move(socket)), executor_(stream_.get_executor()), state_(std::move(state)) {}

  ~http_session() {
    end_request(http_request_outcome::connection_lost);
    std::lock_guard lock(state_->mutex);
    state_->sessions.erase(this);
  }

  http_session(const http_session&) = delete;
  http_session& operator=(const http_session&) = delete;

  void start() {
    {
      std::lock_guard lock(state_->mutex);
      state_->sessions.emplace(this, weak_from_this());
    }
    boost::asio::dispatch(executor_, [self = shared_from_this()] { self->do_read(); });
  }

  // Any thread: closes the connection (pending operations end with operation_aborted).
  void close() {
    boost::asio::post(executor_, [self = shared_from_this()] { self->do_close(); });
  }

  void report(const std::exception_ptr& e) noexcept { state_->report_handler_error(e); }

  // Any thread: sends `res` as the answer to request `seq`, unless that request was already
  // answered. Returns whether it was sent.
  bool answer(std::uint64_t seq, http_response&& res) {
    std::uint64_t expected = seq;
    if (!pending_.compare_exchange_strong(expected, 0, std::memory_order_acq_rel)) return false;
    boost::asio::dispatch(executor_,
                          [self = shared_from_this(), r = std::move(res)]() mutable { self->write(std::move(r)); });
    return true;
  }

 private:
  void do_read() {
    if (watching_) {
      // The disconnect watch is being stopped (write): read once it has completed.
      after_watch_ = after_watch::read;
      return;
    }
    parser_.emplace();
    parser_->body_limit(state_->options.body_limit);
    parser_->header_limit(state_->options.header_limit);
    stream_.expires_after(state_->options.timeout);
    state_->base.run([&] {
      boost::beast::http::async_read(stream_, buffer_, *parser_,
                                     boost::beast::bind_front_handler(&http_session::on_read, shared_from_this()));
    });
  }

  void on_read(boost::beast::error_code ec, std::size_t /*bytes*/) {
    namespace http = boost::beast::http;
    if (ec) {
      if (ec == http::error::end_of_stream || ec == http::error::partial_message ||
          ec.category() != http::make_error_code(http::error::end_of_stream).category()) {
        // The client went away (or timed out, or the server is stopping): nothing to answer.
        return do_close();
      }
      // Malformed or oversized request: answer once, then close (the rest of the stream
      // cannot be trusted to be where the next request starts).
      const http::status status = ec == http::error::body_limit     ? http::status::payload_too_large
                                  : ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                                    : http::status::bad_request;
      try {
        version_ = 11;
        keep_alive_ = false;
        id_ = state_->options.request_context ? generate_request_id() : std::string();
        write(make_error_response(status, "bad request: " + ec.message()));
      } catch (...) {
        do_close();
      }
      return;
    }
    try {
      handle(parser_->release());
    } catch (...) {
      // Only the server's own code can get here (out of memory): drop the connection rather
      // than let the exception out of io_context::run.
      do_close();
    }
  }

  static std::string_view incoming_request_id(const http_request& req) {
    // Exactly one X-Request-ID, or none is used: two values are ambiguous.
    const auto [first, last] = req.equal_range("X-Request-ID");
    if (first == last || std::next(first) != last) return {};
    return first->value();
  }

  void handle(http_request&& req) {
    version_ = req.version();
    keep_alive_ = req.keep_alive();
    const std::uint64_t seq = ++seq_;
    if (!state_->options.request_context) {
      id_.clear();
      enter_layers(std::move(req), seq);
      return;
    }
    request_context rc =
        make_request_context(incoming_request_id(req), std::string(req.method_string()), std::string(req.target()));
    id_ = rc.id;
    // base.run installs the server's base context whatever the thread had, then the request
    // context is added on top: a fresh context per request.
    state_->base.run([&] { request_variable().run(std::move(rc), [&] { enter_layers(std::move(req), seq); }); });
  }

  // Runs the layers around invoke(), outermost first. Without layers, nothing is captured
  // (the request costs what it did before layers existed).
  void enter_layers(http_request&& req, std::uint64_t seq) {
    if (state_->options.layers.empty()) return invoke(std::move(req), seq);
    handler_entered_ = false;
    layer_answered_ = false;
    enter_layer(0, req, seq);
  }

  void enter_layer(std::size_t index, http_request& req, std::uint64_t seq) {
    const auto& layers = state_->options.layers;
    if (index == layers.size()) {
      // The handler's context: what on_response and on_end run in.
      request_snapshot_.emplace();
      in_request_ = true;
      handler_entered_ = true;
      invoke(std::move(req), seq);
      return;
    }
    try {
      layers[index]->around_request(req, [&] { enter_layer(index + 1, req, seq); });
    } catch (...) {
      state_->report_handler_error(std::current_exception());
      // Thrown before the handler ran: the request still gets its one answer (once, however
      // many layers throw on the way out).
      if (!handler_entered_ && !layer_answered_) {
        layer_answered_ = true;
        write(make_error_response(boost::beast::http::status::internal_server_error, "internal server error"));
      }
    }
  }

  // Calls every layer's on_end (innermost first) once for the current request, in its
  // context, then lets go of that context.
  void end_request(http_request_outcome outcome) noexcept {
    if (!in_request_) return;
    in_request_ = false;
    const auto& layers = state_->options.layers;
    request_snapshot_->run([&] {
      for (std::size_t i = layers.size(); i-- > 0;) {
        try {
          layers[i]->on_end(outcome);
        } catch (...) {
          state_->report_handler_error(std::current_exception());
        }
      }
    });
    request_snapshot_.reset();
  }

  void invoke(http_request&& req, std::uint64_t seq) {
    if (state_->sync_handler) {
      std::optional<http_response> res;
      try {
        res.emplace(state_->sync_handler(req));
      } catch (...) {
        state_->report_handler_error(std::current_exception());
        res.emplace(make_error_response(boost::beast::http::status::internal_server_error, "internal server error"));
      }
      write(std::move(*res));
      return;
    }
    pending_.store(seq, std::memory_order_release);
    try {
      state_->async_handler(std::move(req), http_responder(shared_from_this(), seq));
    } catch (...) {
      state_->report_handler_error(std::current_exception());
      answer(seq, make_error_response(boost::beast::http::status::internal_server_error, "internal server error"));
    }
    // Not answered yet (the answer would be queued behind us on the strand): watch for the
    // client going away meanwhile.
    if (pending_.load(std::memory_order_acquire) == seq) watch_for_disconnect();
  }

  // --- the disconnect watch (strand only) ------------------------------------------------
  // Invariant: watching_ while the watch read is outstanding; it is the only read then, and
  // do_read and linger wait for it (after_watch_). The read goes on the socket itself, without the
  // stream's timeout, and is stopped through its own cancellation slot, never by closing.

  void watch_for_disconnect() {
    watching_ = true;
    state_->base.run([&] {
      stream_.socket().async_read_some(
          buffer_.prepare(4096),
          boost::asio::bind_cancellation_slot(
              watch_signal_.slot(),
              [self = shared_from_this()](boost::beast::error_code ec, std::size_t n) { self->on_watch(ec, n); }));
    });
  }

  void stop_watching() {
    if (watching_) watch_signal_.emit(boost::asio::cancellation_type::terminal);
  }

  void on_watch(boost::beast::error_code ec, std::size_t n) {
    watching_ = false;
    if (!ec) {
      buffer_.commit(n);  // the start of a pipelined request: kept for do_read
      if (pending_.load(std::memory_order_acquire) != 0 && buffer_.size() < state_->options.header_limit) {
        return watch_for_disconnect();
      }
    } else if (ec != boost::asio::error::operation_aborted && stream_.socket().is_open()) {
      return do_close();  // closed or reset by the client while its request was pending
    }
    switch (std::exchange(after_watch_, after_watch::nothing)) {
      case after_watch::read:
        return do_read();
      case after_watch::linger:
        return linger();
      case after_watch::nothing:
        return;
    }
  }

  void write(http_response&& res) {
    stop_watching();
    // The request decides persistence (RFC 9112 section 9.3: keep_alive_ is Beast's reading
    // of its version and Connection header). The handler can only end the connection, with
    // an explicit "Connection: close"; the response's own keep_alive() is no request for
    // anything, since a 1.0 response without a Connection header reads as "close" there.
    const bool handler_closes =
        boost::beast::http::token_list(res[boost::beast::http::field::connection]).exists("close");
    if (in_request_) {
      request_snapshot_->run([&] {
        const auto& layers = state_->options.layers;
        for (std::size_t i = layers.size(); i-- > 0;) {
          try {
            layers[i]->on_response(res);
          } catch (...) {
            state_->report_handler_error(std::current_exception());
          }
        }
      });
    }
    res.version(version_);
    close_after_write_ = !(keep_alive_ && !handler_closes && !state_->stopped.load(std::memory_order_relaxed));
    res.keep_alive(!close_after_write_);
    if (!id_.empty()) res.set("X-Request-ID", id_);
    res.prepare_payload();
    res_ = std::move(res);
    stream_.expires_after(state_->options.timeout);
    state_->base.run([&] {
      boost::beast::http::async_write(stream_, res_,
                                      boost::beast::bind_front_handler(&http_session::on_write, shared_from_this()));
    });
  }

  void on_write(boost::beast::error_code ec, std::size_t /*bytes*/) {
    res_ = {};  // free the body now, not at the next response
    end_request(ec ? http_request_outcome::connection_lost : http_request_outcome::responded);
    if (ec) return do_close();
    if (close_after_write_) return linger();
    do_read();
  }

  // After a final response: stop sending, then read (and drop) what the client still sends
  // until it closes or a second passes, so that closing with unread input does not reset the
  // connection and destroy the response before the client reads it.
  void linger() {
    if (watching_) {
      after_watch_ = after_watch::linger;
      return;
    }
    boost::beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_send, ignored);
    buffer_.consume(buffer_.size());
    stream_.expires_after(std::chrono::seconds(1));
    state_->base.run([&] {
      stream_.async_read_some(buffer_.prepare(4096),
                              [self = shared_from_this()](boost::beast::error_code e, std::size_t n) {
                                if (e || self->lingered_ > std::size_t{64} * 1024) return self->do_close();
                                self->lingered_ += n;
                                self->linger();
                              });
    });
  }

  void do_close() {
    // A request still being handled can no longer be answered: its responder says so.
    pending_.store(0, std::memory_order_release);
    end_request(http_request_outcome::connection_lost);
    boost::beast::error_code ignored;
    stream_.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
    stream_.close();
  }

  boost::beast::tcp_stream stream_;
  const boost::asio::any_io_executor executor_;  // the connection's strand
  std::shared_ptr<http_server_state> state_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  http_response res_;  // being written
  std::string id_;     // the current request's id ("" without request context)
  unsigned version_ = 11;
  bool keep_alive_ = true;
  bool close_after_write_ = false;
  std::size_t lingered_ = 0;
  std::uint64_t seq_ = 0;
  std::atomic<std::uint64_t> pending_{0};
  // The layers' view of the current request (strand only): in_request_ from the handler's
  // entry until on_end; request_snapshot_ is the handler's context meanwhile.
  std::optional<asyncctx::snapshot> request_snapshot_;
  bool in_request_ = false;
  bool handler_entered_ = false;
  bool layer_answered_ = false;
  // The disconnect watch (see watch_for_disconnect).
  boost::asio::cancellation_signal watch_signal_;
  bool watching_ = false;
  enum class after_watch : unsigned char { nothing, read, linger };
  after_watch after_watch_ = after_watch::nothing;
};

inline void start_accept(const std::shared_ptr<http_server_state>& st) {
  st->base.run([&] {
    st->acceptor.async_accept(boost::asio::make_strand(st->ioc),
                              [st](boost::beast::error_code ec, boost::asio::ip::tcp::socket socket) {
                                if (st->stopped.load(std::memory_order_relaxed) || !st->acceptor.is_open()) return;
                                if (ec) {
                                  // Out of descriptors and the like: retry shortly instead of spinning.
                                  st->retry.expires_after(std::chrono::milliseconds(50));
                                  st->retry.async_wait([st](boost::beast::error_code e) {
                                    if (!e) start_accept(st);
                                  });
                                  return;
                                }
                                try {
                                  // Responses go out in one write; Nagle would only hold back the last segment.
                                  boost::beast::error_code ignored;
                                  socket.set_option(boost::asio::ip::tcp::no_delay(true), ignored);
                                  std::make_shared<http_session>(std::move(socket), st)->start();
                                } catch (...) {
                                  // The socket closes with it; keep serving the others.
                                }
                                start_accept(st);
                              });
  });
}

}  // namespace detail

namespace detail {

// Awaits a coroutine handler's task and answers with its result, or with a 500.
inline task<void> answer_with(task<http_response> handling, http_responder respond) {
  std::exception_ptr error;
  try {
    respond(co_await std::move(handling));
  } catch (...) {
    error = std::current_exception();
  }
  if (error) respond.fail(error);
}

}  // namespace detail

inline bool http_responder::fail(std::exception_ptr error) {
  if (!session_) return false;
  session_->report(error);
  return (*this)(
      detail::make_error_response(boost::beast::http::status::internal_server_error, "internal server error"));
}

inline bool http_responder::operator()(http_response res) {
  if (!session_) return false;
  std::shared_ptr<detail::http_session> s = std::move(session_);
  return s->answer(std::exchange(seq_, 0), std::move(res));
}

inline void http_responder::abandon() noexcept {
  if (!session_) return;
  try {
    (*this)(
        detail::make_error_response(boost::beast::http::status::internal_server_error, "the handler did not respond"));
  } catch (...) {
    session_.reset();
  }
}

// Thread-safety: see the file comment. Invariant: accepting from construction until stop().
class http_server {
 public:
  using endpoint_type = boost::asio::ip::tcp::endpoint;

  // Binds and listens on `endpoint` (port 0: an ephemeral port, see local_endpoint()), and
  // accepts once `ioc` runs. Throws boost::system::system_error when the endpoint is unusable.
  // The context current now becomes the base context of every request.
  template <class Handler>
  http_server(boost::asio::io_context& ioc, const endpoint_type& endpoint, Handler handler,
              http_server_options options = {})
      : state_(std::make_shared<detail::http_server_state>(ioc, std::move(options))) {
    if constexpr (std::is_invocable_r_v<http_response, Handler&, const http_request&>) {
      state_->sync_handler = std::move(handler);
    } else if constexpr (std::is_invocable_r_v<task<http_response>, Handler&, http_request>) {
      state_->async_handler = [h = std::move(handler)](http_request req, http_responder respond) mutable {
        // Both coroutines are created here, in the request's context, and keep it.
        spawn(detail::answer_with(h(std::move(req)), std::move(respond)));
      };
    } else {
      static_assert(std::is_invocable_v<Handler&, http_request, http_responder>,
                    "an http_server handler is http_response(const http_request&), "
                    "asyncctx::task<http_response>(http_request) or void(http_request, http_responder)");
      state_->async_handler = std::move(handler);
    }
    auto& acceptor = state_->acceptor;
    acceptor.open(endpoint.protocol());
    acceptor.set_option(boost::asio::socket_base::reuse_address(true));
    acceptor.bind(endpoint);
    acceptor.listen(boost::asio::socket_base::max_listen_connections);
    local_endpoint_ = acceptor.local_endpoint();
    detail::start_accept(state_);
  }

  http_server(const http_server&) = delete;
  http_server& operator=(const http_server&) = delete;
  ~http_server() { stop(); }

  // The bound address (with the actual port when 0 was asked for).
  endpoint_type local_endpoint() const noexcept { return local_endpoint_; }

  // Stops accepting and closes every connection (a request being handled gets no answer).
  // Idempotent; any thread. Completes asynchronously, on the io_context's threads.
  void stop() {
    std::vector<std::shared_ptr<detail::http_session>> live;
    {
      std::lock_guard lock(state_->mutex);
      if (state_->stopped.exchange(true)) return;
      live.reserve(state_->sessions.size());
      for (auto& [ptr, weak] : state_->sessions) {
        if (auto s = weak.lock()) live.push_back(std::move(s));
      }
    }
    try {
      // The sessions' closes are queued before the acceptor's: a session waiting for its
      // handler has no operation outstanding, so once the accept is cancelled the io_context
      // could run out of work (and return from run()) before a close queued after it.
      for (auto& s : live) s->close();
      boost::asio::post(state_->acceptor.get_executor(), [st = state_] {
        boost::beast::error_code ignored;
        st->acceptor.close(ignored);
        st->retry.cancel();
      });
    } catch (...) {
      // Out of memory while stopping: the connections end with the io_context.
    }
  }

 private:
  std::shared_ptr<detail::http_server_state> state_;
  endpoint_type local_endpoint_;
};

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
