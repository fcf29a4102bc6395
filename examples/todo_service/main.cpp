// The todo service: a REST API of personal todo lists (examples/todo_service/todo_api.hpp) on
// asyncctx::asio::http_server, with SQLite on a thread pool. Every request runs in its own
// context: its request id and its authenticated user follow it onto the database threads.
//
//   todo_service                 the demo: serves on a free loopback port, runs a scripted
//                                session of two users working at once, prints it, exits
//   todo_service --serve PORT    keeps serving on 127.0.0.1:PORT (tokens: alice-token,
//                                bob-token) until interrupted
//   --db PATH                    the SQLite database (default ":memory:")
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/thread_pool.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "auth_client.hpp"
#include "todo_api.hpp"
#include "todo_store.hpp"

namespace {

namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

struct settings {
  std::optional<unsigned short> serve_port;
  std::string db = ":memory:";
};

settings parse_arguments(int argc, char** argv) {
  settings s;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    if (arg == "--serve" && i + 1 < argc) {
      s.serve_port = static_cast<unsigned short>(std::strtoul(argv[++i], nullptr, 10));
    } else if (arg == "--db" && i + 1 < argc) {
      s.db = argv[++i];
    } else {
      std::fprintf(stderr, "usage: todo_service [--serve PORT] [--db PATH]\n");
      std::exit(2);
    }
  }
  return s;
}

// One user's scripted session: a keep-alive connection, requests printed as they complete.
class scripted_client {
 public:
  scripted_client(std::string name, std::string token, const tcp::endpoint& server, std::mutex& print_mutex)
      : name_(std::move(name)), token_(std::move(token)), stream_(ioc_), print_mutex_(print_mutex) {
    stream_.connect(server);
  }

  http::response<http::string_body> send(http::verb method, const std::string& target, const std::string& body = {},
                                         std::optional<std::string> token = std::nullopt) {
    http::request<http::string_body> req{method, target, 11};
    req.set(http::field::host, "127.0.0.1");
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

void run_session(const tcp::endpoint& server) {
  std::mutex print_mutex;
  auto user_session = [&](const char* name, const char* token, const char* first, const char* second) {
    scripted_client c(name, token, server, print_mutex);
    c.send(http::verb::post, "/todos", std::string(R"({"title":")") + first + "\"}");
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
    todo::todo_store store({.path = s.db});
    todo::auth_client auth;
    auth.issue("alice-token", "alice");
    auth.issue("bob-token", "bob");
    asyncctx::thread_pool db_pool(4);
    todo::todo_api api(store, auth, db_pool);

    boost::asio::io_context ioc;
    asyncctx::asio::http_server server(ioc, {boost::asio::ip::make_address("127.0.0.1"), s.serve_port.value_or(0)},
                                       [&api](todo::http_request req) { return api.handle(std::move(req)); });
    std::vector<std::thread> io_threads;
    if (s.serve_port) {
      std::printf("todo service listening on 127.0.0.1:%u (tokens: alice-token, bob-token)\n",
                  server.local_endpoint().port());
      std::fflush(stdout);
      boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
      signals.async_wait([&](auto, int) { server.stop(); });
      for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { ioc.run(); });
      for (auto& t : io_threads) t.join();
      db_pool.wait_idle();
      return 0;
    }
    for (int i = 0; i < 2; ++i) io_threads.emplace_back([&] { ioc.run(); });
    run_session(server.local_endpoint());
    server.stop();
    for (auto& t : io_threads) t.join();
    db_pool.wait_idle();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "todo_service: %s\n", e.what());
    return 1;
  }
  return 0;
}
