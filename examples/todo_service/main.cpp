// The todo service: a REST API of personal todo lists (examples/todo_service/todo_api.hpp) on
// asyncctx::asio::http_server, with SQLite on a thread pool. Every request runs in its own
// context — request id, scope and services, user, log fields, span, deadline — which follows it
// onto the database threads. Logs are JSON lines (every line with request_id, user, trace_id,
// span_id); spans go to a JSON-lines file (todo_spans.jsonl), or over OTLP/HTTP when
// OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, configured by the OTEL_* variables.
//
//   todo_service                 the demo: serves on a free loopback port, runs a scripted
//                                session of two users working at once, prints it, exits
//   todo_service --serve PORT    keeps serving on 127.0.0.1:PORT (tokens: alice-token,
//                                bob-token) until interrupted
//   --db PATH                    the SQLite database (default ":memory:")
//   --db-threads N               threads of the database pool (default: one per connection)
//   --telemetry off              no log lines and no recorded spans (the log level is off,
//                                the sampler drops every span): the service's own cost,
//                                for bench/todo_rps.sh's like-for-like row
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/json_lines_exporter.hpp>
#include <asyncctx/trace/log_fields.hpp>
#include <asyncctx/trace/otel_environment.hpp>
#include <asyncctx/trace/simple_span_processor.hpp>
#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <functional>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "todo_service.hpp"
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct settings {
  std::optional<unsigned short> serve_port;
  std::string db = ":memory:";
  bool telemetry = true;
  unsigned db_threads = 0;  // 0: one per database connection
};

settings parse_arguments(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--serve" && i + 1 < argc) {
      s.serve_port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--db" && i + 1 < argc) {
      s.db = argv[++i];
    } else if (arg == "--db-threads" && i + 1 < argc) {
      s.db_threads = static_cast<unsigned>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--telemetry" && i + 1 < argc &&
               (std::strcmp(argv[i + 1], "on") == 0 || std::strcmp(argv[i + 1], "off") == 0)) {
      s.telemetry = std::strcmp(argv[++i], "on") == 0;
    } else {
      std::fprintf(stderr, "usage: todo_service [--serve PORT] [--db PATH] [--db-threads N] [--telemetry on|off]\n");
      std::exit(2);
    }
  }
  return s;
}

namespace trace = asyncctx::trace;

// Keeps every ended span, for the demo's trace tree.
class span_collector final : public trace::span_exporter {
 public:
  result export_spans(std::span<const trace::span_data> batch) override {
    std::lock_guard lock(mutex_);
    spans_.insert(spans_.end(), batch.begin(), batch.end());
    return result::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }
  std::vector<trace::span_data> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<trace::span_data> spans_;
};

// Prints the spans of `trace_id` as a tree: name, kind, duration, a few attributes.
void print_trace_tree(const std::vector<trace::span_data>& all, const std::string& trace_id) {
  std::vector<const trace::span_data*> spans;
  for (const auto& s : all) {
    if (s.trace.to_hex() == trace_id) spans.push_back(&s);
  }
  std::sort(spans.begin(), spans.end(), [](auto* a, auto* b) { return a->start_unix_nano < b->start_unix_nano; });
  std::function<void(const std::string&, int)> print = [&](const std::string& parent, int depth) {
    for (const auto* s : spans) {
      const bool is_child =
          parent.empty() ? std::none_of(spans.begin(), spans.end(), [&](auto* p) { return p->span == s->parent; })
                         : s->parent.to_hex() == parent;
      if (!is_child) continue;
      static const char* kinds[] = {"", "internal", "server", "client", "producer", "consumer"};
      std::string attrs;
      for (const auto& a : s->attributes) {
        if (a.key == "db.operation" || a.key == "http.response.status_code" || a.key == "enduser.authenticated") {
          attrs += " " + a.key + "=" +
                   std::visit(
                       [](const auto& v) -> std::string {
                         using V = std::decay_t<decltype(v)>;
                         if constexpr (std::is_same_v<V, std::string>)
                           return v;
                         else if constexpr (std::is_same_v<V, bool>)
                           return v ? "true" : "false";
                         else if constexpr (std::is_arithmetic_v<V>)
                           return std::to_string(v);
                         else
                           return "[...]";
                       },
                       a.value);
        }
      }
      std::printf("  %*s%s [%s, %.3f ms]%s\n", depth * 2, "", s->name.c_str(), kinds[static_cast<int>(s->kind)],
                  static_cast<double>(s->end_unix_nano - s->start_unix_nano) / 1e6, attrs.c_str());
      print(s->span.to_hex(), depth + 1);
    }
  };
  std::printf("trace %s:\n", trace_id.c_str());
  print("", 0);
}

// One user's scripted session: a keep-alive connection, requests printed as they complete.
class scripted_client {
 public:
  scripted_client(std::string name, std::string token, const tcp::endpoint& server, std::mutex& print_mutex)
      : name_(std::move(name)), token_(std::move(token)), stream_(ioc_), print_mutex_(print_mutex) {
    stream_.connect(server);
  }

  http::response<http::string_body> send(http::verb method, const std::string& target, const std::string& body = {},
                                         std::optional<std::string> token = std::nullopt,
                                         std::optional<std::string> traceparent = std::nullopt) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (traceparent) req.set("traceparent", *traceparent);
    req.set(http::field::authorization, "Bearer " + token.value_or(token_));
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    http::write(stream_, req);
    http::response<http::string_body> res;
    http::read(stream_, buffer_, res);
    {
      std::lock_guard lock(print_mutex_);
      std::printf("%-6s %-6s %-10s %-32s -> %d %s  [request %s]\n", name_.c_str(),
                  std::string(http::to_string(method)).c_str(), target.c_str(), body.c_str(), res.result_int(),
                  res.body().c_str(), std::string(res["X-Request-ID"]).c_str());
    }
    return res;
  }

 private:
  std::string name_;
  std::string token_;
  boost::asio::io_context ioc_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::mutex& print_mutex_;
};

// The trace id the demo gives alice's first request (sent as its traceparent), to print its tree.
constexpr const char* demo_trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";

void run_session(const tcp::endpoint& server) {
  std::mutex print_mutex;
  auto user_session = [&](const char* name, const char* token, const char* first, const char* second) {
    scripted_client c(name, token, server, print_mutex);
    std::optional<std::string> traceparent;
    if (std::string(name) == "alice") traceparent = std::string("00-") + demo_trace_id + "-00f067aa0ba902b7-01";
    c.send(http::verb::post, "/todos", std::string(R"({"title":")") + first + "\"}", std::nullopt, traceparent);
    const auto created = c.send(http::verb::post, "/todos", std::string(R"({"title":")") + second + "\"}");
    const std::string location(created[http::field::location]);
    c.send(http::verb::patch, location, R"({"done":true})");
    c.send(http::verb::get, "/todos");
    c.send(http::verb::delete_, location);
    c.send(http::verb::get, "/todos");
  };
  std::thread alice(user_session, "alice", "alice-token", "buy milk", "write the report");
  std::thread bob(user_session, "bob", "bob-token", "fix the bike", "call mum");
  alice.join();
  bob.join();
  // What a client gets wrong: each answer is a 4xx with a JSON error, never a 500.
  scripted_client mallory("eve", "not-a-token", server, print_mutex);
  mallory.send(http::verb::get, "/todos");
  scripted_client alice_again("alice", "alice-token", server, print_mutex);
  alice_again.send(http::verb::get, "/todos/2");  // bob's todo: not found for alice
  alice_again.send(http::verb::post, "/todos", R"({"title": 42})");
  alice_again.send(http::verb::post, "/todos", R"({"title": "x'); DROP TABLE todos; --"})");
  alice_again.send(http::verb::get, "/todos");
}

}  // namespace

int main(int argc, char** argv) {
  const settings s = parse_arguments(argc, argv);
  try {
    // Logs: JSON lines, each with the request's fields (request_id, user) and its span's ids.
    std::ostringstream demo_log;
    std::shared_ptr<spdlog::sinks::sink> sink;
    if (s.serve_port) {
      sink = std::make_shared<spdlog::sinks::stdout_sink_mt>();
    } else {
      sink = std::make_shared<spdlog::sinks::ostream_sink_mt>(demo_log);
    }
    auto logger = std::make_shared<spdlog::logger>("todo", sink);
    asyncctx::log::configure(*logger, asyncctx::log::line_format::json);
    if (!s.telemetry) logger->set_level(spdlog::level::off);
    spdlog::set_default_logger(logger);
    trace::add_log_trace_fields();

    // Spans: OTLP when configured, else JSON lines to todo_spans.jsonl. The demo also keeps
    // them in memory for its trace tree (a server that keeps serving must not: it would keep
    // every span it ever made), and writes the file as each span ends; the server writes it
    // from a batch processor's thread, off the requests' path.
    auto collector = std::make_shared<span_collector>();
    std::vector<std::shared_ptr<trace::span_processor>> extra;
    if (!s.serve_port) extra.push_back(std::make_shared<trace::simple_span_processor>(collector));
    std::shared_ptr<trace::tracer_provider> provider;
    const bool otlp = s.telemetry && (std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != nullptr ||
                                      std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nullptr);
    if (otlp) {
      trace::otel_environment env = trace::read_otel_environment();
      if (env.service_name.empty()) env.service_name = "todo_service";
      provider = trace::make_tracing(env, std::cerr, extra).provider;
    } else {
      auto file = std::make_shared<trace::json_lines_exporter>(std::string("todo_spans.jsonl"));
      if (s.serve_port) {
        extra.push_back(std::make_shared<trace::batch_span_processor>(file));
      } else {
        extra.push_back(std::make_shared<trace::simple_span_processor>(file));
      }
      provider = std::make_shared<trace::tracer_provider>(trace::tracer_provider_options{
          .res = trace::resource{{{"service.name", std::string("todo_service")}}},
          .span_sampler =
              s.telemetry ? trace::parent_based_sampler(trace::always_on_sampler()) : trace::always_off_sampler(),
          .processors = extra});
    }

    todo::todo_service service({.store = {.path = s.db},
                                .db_threads = s.db_threads,
                                .tracing = provider,
                                .tokens = {{"alice-token", "alice"}, {"bob-token", "bob"}}});

    boost::asio::io_context ioc;
    asyncctx::asio::http_server server(
        ioc, {boost::asio::ip::make_address("127.0.0.1"), s.serve_port.value_or(0)},
        [&service](todo::http_request req) { return service.handle(std::move(req)); }, service.server_options());
    std::vector<std::thread> io_threads;
    if (s.serve_port) {
      std::printf("todo service listening on 127.0.0.1:%u (tokens: alice-token, bob-token)\n",
                  server.local_endpoint().port());
      std::fflush(stdout);
      boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
      signals.async_wait([&](auto, int) { server.stop(); });
      for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { ioc.run(); });
      for (auto& t : io_threads) t.join();
      service.db_pool().wait_idle();
      provider->shutdown(std::chrono::seconds(5));
      return 0;
    }
    std::printf("== two users at once, then a few client mistakes\n");
    for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { ioc.run(); });
    run_session(server.local_endpoint());
    server.stop();
    for (auto& t : io_threads) t.join();
    service.db_pool().wait_idle();
    provider->force_flush(std::chrono::seconds(5));
    logger->flush();

    const std::string lines = demo_log.str();
    std::printf("\n== the log lines (JSON; each carries its request's request_id, user, trace_id, span_id)\n%s",
                lines.c_str());
    std::size_t total = 0;
    std::size_t with_user = 0;
    for (std::size_t at = 0; (at = lines.find('\n', at)) != std::string::npos; ++at) ++total;
    for (std::size_t at = 0; (at = lines.find("\"user\":", at)) != std::string::npos; ++at) ++with_user;
    std::printf("(%zu lines, %zu with a user)\n\n== the trace of alice's first request\n", total, with_user);
    print_trace_tree(collector->spans(), demo_trace_id);
    std::printf("\n(%zu spans in all; %s)\n", collector->spans().size(),
                otlp ? "also exported over OTLP/HTTP" : "also written to todo_spans.jsonl as JSON lines");
    provider->shutdown(std::chrono::seconds(5));
    spdlog::set_default_logger(std::make_shared<spdlog::logger>("todo"));
  } catch (const std::exception& e) {
    std::fprintf(stderr, "todo_service: %s\n", e.what());
    return 1;
  }
  return 0;
}
