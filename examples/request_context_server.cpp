// The request-id logger of Node's AsyncLocalStorage documentation made real: a
// Beast HTTP server on 127.0.0.1 whose every request runs in its own context, and a logger
// that takes the request id from that context — never from a parameter.
//
// Each request waits on a steady_timer, hops to an asyncctx::thread_pool worker and awaits a
// nested coroutine before it answers; the clients (in this process, concurrent) send the
// sequential ids of Node's example as X-Request-ID, so the interleaving is that example's:
//
//   0: start GET /hello?client=0  [io]
//   1: start GET /hello?client=1  [io]
//   0: timer fired  [io]
//   0: on a pool worker  [pool]
//   0: nested coroutine  [pool]
//   0: finish 200 after 50 ms  [pool]
//   1: timer fired  [io]
//   ...
//   1: finish 200 after 51 ms  [pool]
//
// One more client sends an invalid X-Request-ID: the server never uses it and logs under an
// id of its own, which the response echoes.
//
//   request_context_server                    demo: serve the clients, print a summary, exit
//   request_context_server --serve PORT       serve on 127.0.0.1:PORT until SIGINT / SIGTERM
//   options: --clients N (demo, default 3)  --delay-ms N (timer, default 50; 0 with --serve)
//            --threads N (io threads, default 1)  --quiet (no per-request lines)
//            --no-context (the same server without the request-context wrapper: the baseline
//            of bench/http_rps.sh; log lines then show "-")
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/use_task.hpp>
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
};

// The thread a line was logged on, to show the request id following the hops.
thread_local const char* t_thread_name = "pool";  // io and main threads set their own

std::mutex g_out_mutex;
std::atomic<bool> g_quiet{false};
std::atomic<int> g_lines{0};
std::atomic<int> g_lines_without_id{0};

// logWithId of Node's example: the id comes from the current context.
void log_with_id(std::string_view msg) {
  const asyncctx::asio::request_context* rc = asyncctx::asio::current_request();
  g_lines.fetch_add(1, std::memory_order_relaxed);
  if (rc == nullptr) g_lines_without_id.fetch_add(1, std::memory_order_relaxed);
  if (g_quiet.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(g_out_mutex);
  std::printf("%s: %.*s  [%s]\n", rc != nullptr ? rc->id.c_str() : "-", static_cast<int>(msg.size()), msg.data(),
              t_thread_name);
  std::fflush(stdout);
}

// Each request's spans as a tree (request_trace_tree.hpp), between the log lines.
void print_trace_tree(std::string_view tree) {
  if (g_quiet.load(std::memory_order_relaxed)) return;
  std::lock_guard lock(g_out_mutex);
  std::fwrite(tree.data(), 1, tree.size(), stdout);
  std::fflush(stdout);
}

long elapsed_ms() {
  const auto* rc = asyncctx::asio::current_request();
  if (rc == nullptr) return -1;
  return static_cast<long>(std::chrono::duration_cast<std::chrono::milliseconds>(rc->elapsed()).count());
}

// A nested coroutine: created inside the request's task, it inherits the request's context.
asyncctx::task<std::string> render_greeting(std::string who) {
  [[maybe_unused]] const auto span = demo::trace_tree::start("render greeting");
  log_with_id("nested coroutine");
  co_return "hello, " + who;
}

// The request handler: timer wait, thread-pool hop, nested coroutine, answer. Not one line
// passes the request id around.
asyncctx::task<http_response> handle(http_request req, boost::asio::io_context::executor_type io,
                                     asyncctx::thread_pool* pool, std::chrono::milliseconds delay) {
  log_with_id("start " + std::string(req.method_string()) + " " + std::string(req.target()));

  boost::asio::steady_timer timer(io, delay);
  co_await timer.async_wait(asyncctx::asio::use_task);
  log_with_id("timer fired");

  co_await asyncctx::schedule_on(pool->get_executor());
  log_with_id("on a pool worker");
  [[maybe_unused]] const auto pool_work = demo::trace_tree::start("pool work");

  // A named local, not a temporary in the co_await expression: GCC 12 mis-handles
  // conditional-expression temporaries passed to a coroutine inside co_await.
  const auto* rc = asyncctx::asio::current_request();
  std::string who = rc != nullptr ? "request " + rc->id : std::string("anonymous");
  std::string body = co_await render_greeting(std::move(who));

  http_response res{http::status::ok, req.version()};
  res.set(http::field::content_type, "text/plain");
  res.body() = std::move(body) + "\n";
  log_with_id("finish 200 after " + std::to_string(elapsed_ms()) + " ms");
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
  std::printf("  %d/%d answered 200, %d/%d echoed the right id, %d log lines, %d without a request id, %.0f ms\n", ok,
              total, echoed, total, g_lines.load(), g_lines_without_id.load(),
              std::chrono::duration<double, std::milli>(took).count());
  const bool good = ok == total && echoed == total && (g_lines_without_id.load() == 0 || !s.context);
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
  std::printf("stopped: %d log lines\n", g_lines.load());
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
    } else {
      std::fprintf(stderr,
                   "usage: %s [--serve PORT] [--clients N] [--delay-ms N] [--threads N] [--quiet] [--no-context]\n",
                   argv[0]);
      return a == "--help" || a == "-h" ? EXIT_SUCCESS : 2;
    }
  }
  if (s.delay_ms < 0) s.delay_ms = s.serve_port >= 0 ? 0 : 50;
  g_quiet = s.quiet;

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
