// The request-id logger of Node's AsyncLocalStorage documentation made real: a
// Beast HTTP server on 127.0.0.1 whose every request runs in its own context, logging through
// asyncctx::log and spdlog: every line carries the request's id, method and path, taken from
// the context by the library's request field provider, never passed as a parameter.
//
// Each request waits on a steady_timer, hops to an asyncctx::thread_pool worker and awaits a
// nested coroutine before it answers; the clients (in this process, concurrent) send the
// sequential ids of Node's example as X-Request-ID, so the interleaving is that example's
// (--log-format text; `time=...` left out here):
//
//   level=info logger=demo msg="start GET /hello?client=0" request_id=0 method=GET path=/hello thread=io
//   level=info logger=demo msg="start GET /hello?client=1" request_id=1 method=GET path=/hello thread=io
//   level=info logger=demo msg="timer fired" request_id=0 method=GET path=/hello thread=io
//   level=info logger=demo msg="on a pool worker" request_id=0 method=GET path=/hello thread=pool
//   level=info logger=demo msg="nested coroutine" request_id=0 method=GET path=/hello thread=pool
//   level=info logger=demo msg="finish 200 after 50 ms" request_id=0 method=GET path=/hello thread=pool
//   ...
//
// One more client sends an invalid X-Request-ID: the server never uses it and logs under an
// id of its own, which the response echoes. The summary counts the log lines that carry a
// request id (all of them: every line is logged while serving a request).
//
//   request_context_server                    demo: serve the clients, print a summary, exit
//   request_context_server --serve PORT       serve on 127.0.0.1:PORT until SIGINT / SIGTERM
//   options: --clients N (demo, default 3)  --delay-ms N (timer, default 50; 0 with --serve)
//            --threads N (io threads, default 1)  --quiet (no per-request lines)
//            --log-format json|text (default text)
//            --no-context (the same server without the request-context wrapper: the baseline
//            of bench/http_rps.sh; log lines then carry no request id)
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/record.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/when_all.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "request_trace_tree.hpp"
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>
#include <spdlog/spdlog.h>

namespace {

namespace http = boost::beast::http;
using asyncctx::asio::http_request;
using asyncctx::asio::http_response;
using tcp = boost::asio::ip::tcp;

struct settings {
  int clients = 3;
  int serve_port = -1;  // -1: demo mode
  int delay_ms = -1;    // -1: the mode's default
  int threads = 1;
  bool quiet = false;
  bool context = true;
  asyncctx::log::line_format log_format = asyncctx::log::line_format::text;
};

// The thread a line was logged on, to show the request id following the hops (a field added
// by the provider registered in main).
thread_local const char* t_thread_name = "pool";  // io and main threads set their own

// Writes each line to stdout (unless quiet), flushed, and counts the lines and those whose
// record carries a request_id field.
class demo_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit demo_sink(bool quiet) : quiet_(quiet) {}
  int lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }
  int lines_with_request_id() {
    std::lock_guard lock(mutex_);
    return with_id_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    ++lines_;
    record_.decode_payload(std::string_view(msg.payload.data(), msg.payload.size()));
    for (const asyncctx::log::field_view& f : record_.fields()) {
      if (f.key == "request_id") {
        ++with_id_;
        break;
      }
    }
    if (quiet_) return;
    spdlog::memory_buf_t line;
    formatter_->format(msg, line);
    std::fwrite(line.data(), 1, line.size(), stdout);
    std::fflush(stdout);
  }
  void flush_() override { std::fflush(stdout); }

 public:
  // Text that is not a log record (a trace tree), written under the sink's lock so that it
  // never interleaves with a line.
  void write_raw(std::string_view text) {
    std::lock_guard lock(mutex_);
    if (quiet_) return;
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fflush(stdout);
  }

 private:
  bool quiet_;
  int lines_ = 0;
  int with_id_ = 0;
  asyncctx::log::record_view record_;
};

std::shared_ptr<demo_sink> g_sink;

// Each request's spans as a tree (request_trace_tree.hpp), between the log lines.
void print_trace_tree(std::string_view tree) { g_sink->write_raw(tree); }

long elapsed_ms() {
  const auto* rc = asyncctx::asio::current_request();
  if (rc == nullptr) return -1;
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(rc->elapsed()).count());
}

// A nested coroutine: created inside the request's task, it inherits the request's context.
asyncctx::task<std::string> render_greeting(std::string who) {
  [[maybe_unused]] const auto span = demo::trace_tree::start("render greeting");
  asyncctx::log::info("nested coroutine");
  co_return "hello, " + who;
}

// The request handler: timer wait, thread-pool hop, nested coroutine, answer. Not one line
// passes the request id around.
asyncctx::task<http_response> handle(http_request req, boost::asio::io_context::executor_type io,
                                     asyncctx::thread_pool* pool, std::chrono::milliseconds delay) {
  asyncctx::log::info("start {} {}", std::string_view(req.method_string()), std::string_view(req.target()));

  boost::asio::steady_timer timer(io, delay);
  co_await timer.async_wait(asyncctx::asio::use_task);
  asyncctx::log::info("timer fired");

  co_await asyncctx::schedule_on(pool->get_executor());
  asyncctx::log::info("on a pool worker");
  [[maybe_unused]] const auto pool_work = demo::trace_tree::start("pool work");

  // A named local, not a temporary in the co_await expression: GCC 12 mis-handles
  // conditional-expression temporaries passed to a coroutine inside co_await.
  const auto* rc = asyncctx::asio::current_request();
  std::string who = rc != nullptr ? "request " + rc->id : std::string("anonymous");
  std::string body = co_await render_greeting(std::move(who));

  http_response res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body) + "\n";
  asyncctx::log::info("finish 200 after {} ms", elapsed_ms());
  co_return res;
}

// --- the demo's clients -------------------------------------------------------------------

struct client_result {
  std::string sent_id;
  std::string echoed_id;
  int status = 0;
  std::string body;
  std::string error;
};

asyncctx::task<client_result> fetch(boost::asio::io_context::executor_type ex, tcp::endpoint ep, std::string target,
                                    std::string request_id) {
  client_result out;
  out.sent_id = request_id;
  try {
    boost::beast::tcp_stream stream(ex);
    stream.expires_after(std::chrono::seconds(10));
    co_await stream.async_connect(ep, asyncctx::asio::use_task);
    http_request req{http::verb::get, target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set("X-Request-ID", request_id);
    co_await http::async_write(stream, req, asyncctx::asio::use_task);
    boost::beast::flat_buffer buffer;
    http_response res;
    co_await http::async_read(stream, buffer, res, asyncctx::asio::use_task);
    out.status = static_cast<int>(res.result_int());
    out.echoed_id = std::string(res["X-Request-ID"]);
    out.body = res.body();
    while (!out.body.empty() && out.body.back() == '\n') out.body.pop_back();
  } catch (const std::exception& e) {
    out.error = e.what();
  }
  co_return out;
}

int run_demo(const settings& s, asyncctx::asio::http_server& server, boost::asio::io_context& server_ioc) {
  std::thread io([&] {
    t_thread_name = "io";
    server_ioc.run();
  });

  boost::asio::io_context client_ioc;
  auto guard = boost::asio::make_work_guard(client_ioc);
  std::thread client_io([&] {
    t_thread_name = "client";
    client_ioc.run();
  });

  const auto started = std::chrono::steady_clock::now();
  std::vector<asyncctx::task<client_result>> requests;
  requests.reserve(static_cast<std::size_t>(s.clients) + 1);
  for (int i = 0; i < s.clients; ++i) {
    requests.push_back(fetch(client_ioc.get_executor(), server.local_endpoint(), "/hello?client=" + std::to_string(i),
                             std::to_string(i)));
  }
  // Not a valid id (space, '!'): the server must not use it.
  requests.push_back(fetch(client_ioc.get_executor(), server.local_endpoint(), "/hello?client=bad", "not valid!"));
  std::vector<client_result> results = asyncctx::sync_wait(asyncctx::when_all(std::move(requests)));
  const auto took = std::chrono::steady_clock::now() - started;

  guard.reset();
  client_io.join();
  server.stop();
  io.join();

  int ok = 0;
  int echoed = 0;
  std::printf("\nsummary\n");
  for (const client_result& r : results) {
    if (!r.error.empty()) {
      std::printf("  sent X-Request-ID %-12s -> error: %s\n", ("'" + r.sent_id + "'").c_str(), r.error.c_str());
      continue;
    }
    ok += r.status == 200 ? 1 : 0;
    const bool valid_sent = asyncctx::asio::is_valid_request_id(r.sent_id);
    const bool echo_ok =
        !s.context || (valid_sent ? r.echoed_id == r.sent_id
                                  : r.echoed_id != r.sent_id && asyncctx::asio::is_valid_request_id(r.echoed_id));
    echoed += echo_ok ? 1 : 0;
    std::printf("  sent X-Request-ID %-12s -> %d, X-Request-ID %s%s  \"%s\"\n", ("'" + r.sent_id + "'").c_str(),
                r.status, r.echoed_id.c_str(), valid_sent ? "" : " (generated: the sent one was invalid)",
                r.body.c_str());
  }
  const int total = static_cast<int>(results.size());
  const int lines = g_sink->lines();
  const int with_id = g_sink->lines_with_request_id();
  std::printf("  %d/%d answered 200, %d/%d echoed the right id, %d log lines, %d with a request id, %.0f ms\n", ok,
              total, echoed, total, lines, with_id, std::chrono::duration<double, std::milli>(took).count());
  const bool good = ok == total && echoed == total && lines > 0 && (with_id == lines || !s.context);
  return good ? EXIT_SUCCESS : EXIT_FAILURE;
}

int run_serve(const settings& s, asyncctx::asio::http_server& server, boost::asio::io_context& ioc) {
  boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
  signals.async_wait([&](boost::system::error_code ec, int) {
    if (!ec) server.stop();
  });
  std::printf("serving on http://%s:%u (%s request context, %d io thread(s)); Ctrl-C to stop\n",
              server.local_endpoint().address().to_string().c_str(), server.local_endpoint().port(),
              s.context ? "with" : "WITHOUT", s.threads);
  std::fflush(stdout);
  std::vector<std::thread> threads;
  for (int i = 1; i < s.threads; ++i) {
    threads.emplace_back([&] {
      t_thread_name = "io";
      ioc.run();
    });
  }
  t_thread_name = "io";
  ioc.run();
  for (auto& t : threads) t.join();
  std::printf("stopped: %d log lines, %d with a request id\n", g_sink->lines(), g_sink->lines_with_request_id());
  return EXIT_SUCCESS;
}

int to_int(const char* arg, const char* name) {
  char* end = nullptr;
  const long v = std::strtol(arg, &end, 10);
  if (end == arg || *end != '\0' || v < 0 || v > 65535) {
    std::fprintf(stderr, "bad value for %s: %s\n", name, arg);
    std::exit(2);
  }
  return static_cast<int>(v);
}

}  // namespace

int main(int argc, char** argv) {
  t_thread_name = "main";
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    auto value = [&] {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "%s needs a value\n", argv[i]);
        std::exit(2);
      }
      return argv[++i];
    };
    if (a == "--serve") {
      s.serve_port = to_int(value(), "--serve");
    } else if (a == "--clients") {
      s.clients = to_int(value(), "--clients");
    } else if (a == "--delay-ms") {
      s.delay_ms = to_int(value(), "--delay-ms");
    } else if (a == "--threads") {
      s.threads = std::max(1, to_int(value(), "--threads"));
    } else if (a == "--quiet") {
      s.quiet = true;
    } else if (a == "--no-context") {
      s.context = false;
    } else if (a == "--log-format") {
      const std::string_view f = value();
      if (f == "json") {
        s.log_format = asyncctx::log::line_format::json;
      } else if (f == "text") {
        s.log_format = asyncctx::log::line_format::text;
      } else {
        std::fprintf(stderr, "--log-format: json or text, not %.*s\n", static_cast<int>(f.size()), f.data());
        return 2;
      }
    } else {
      std::fprintf(stderr,
                   "usage: %s [--serve PORT] [--clients N] [--delay-ms N] [--threads N] [--quiet] [--no-context] "
                   "[--log-format json|text]\n",
                   argv[0]);
      return a == "--help" || a == "-h" ? EXIT_SUCCESS : 2;
    }
  }
  if (s.delay_ms < 0) s.delay_ms = s.serve_port >= 0 ? 0 : 50;

  // The log: spdlog's default logger, writing through the demo's sink in the chosen format;
  // every asyncctx::log call adds the request's fields (the built-in request provider) and
  // the thread's name (this provider).
  g_sink = std::make_shared<demo_sink>(s.quiet);
  auto logger = std::make_shared<spdlog::logger>("demo", g_sink);
  asyncctx::log::configure(*logger, s.log_format);
  spdlog::set_default_logger(logger);
  asyncctx::log::add_field_provider("thread",
                                    [](asyncctx::log::field_writer& out) { out.add("thread", t_thread_name); });

  try {
    demo::trace_tree tracing(print_trace_tree);
    boost::asio::io_context ioc;
    asyncctx::thread_pool pool(2);
    asyncctx::asio::http_server_options options;
    options.request_context = s.context;
    if (s.context) options.layers.push_back(tracing.layer());  // --no-context: the bare baseline
    const auto port = static_cast<unsigned short>(s.serve_port >= 0 ? s.serve_port : 0);
    const std::chrono::milliseconds delay(s.delay_ms);
    asyncctx::asio::http_server server(
        ioc, {boost::asio::ip::make_address("127.0.0.1"), port},
        [io = ioc.get_executor(), pool = &pool, delay](http_request req) {
          return handle(std::move(req), io, pool, delay);
        },
        options);
    return s.serve_port >= 0 ? run_serve(s, server, ioc) : run_demo(s, server, ioc);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "request_context_server: %s\n", e.what());
    return EXIT_FAILURE;
  }
}
