// What a request scope costs a minimal http_server request, in one run:
//   http_request/variant:0          server CPU per request of a minimal http_server (a synchronous
//                               handler answering "ok"), keep-alive, one client on 127.0.0.1
//   http_request/variant:2         the same server with one http_layer that does nothing: what
//                               the layer machinery itself costs
//   http_request/variant:1         the same server with asio::request_scope_layer (an async_scope
//                               per request) and a handler that resolves 3 scoped services
//                               (built, then disposed when the request's scope ends)
//   scope_open_close_3          the scope alone: async_scope::run(registry, f) + 3 resolves +
//                               disposal, no HTTP
// The HTTP shapes report `server_cpu_ns` (the server thread's CPU time per request, from its
// thread CPU clock: the client's work is not counted). The ratio docs/benchmarks.md gives is
// scope_open_close_3 / http_request/variant:0's server_cpu_ns.
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/asio/request_scope_layer.hpp>
#include <asyncctx/async_scope.hpp>
#include <asyncctx/service_registry.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <pthread.h>
#include <time.h>

namespace {

namespace http = boost::beast::http;
using asyncctx::asio::http_request;
using asyncctx::asio::http_response;

struct auth_client {
  int token = 1;
};
struct database {
  int handle = 2;
};
struct current_user {
  int id = 3;
};
struct todo_list {
  std::string items;
};

asyncctx::service_registry make_registry() {
  asyncctx::service_registry services;
  services.add_singleton<auth_client>([] { return auth_client{}; });
  services.add_scoped<database>([] { return database{}; });
  services.add_scoped<current_user>([](auth_client&) { return current_user{}; });
  services.add_scoped<todo_list>([] { return todo_list{}; });
  return services;
}

void resolve_three() {
  benchmark::DoNotOptimize(&asyncctx::resolve<database>());
  benchmark::DoNotOptimize(&asyncctx::resolve<current_user>());
  benchmark::DoNotOptimize(&asyncctx::resolve<todo_list>());
}

http_response ok(const http_request& req) {
  http_response res{http::status::ok, req.version()};
  res.body() = "ok";
  return res;
}

std::int64_t thread_cpu_ns(pthread_t thread) {
  clockid_t clock;
  pthread_getcpuclockid(thread, &clock);
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t{ts.tv_sec} * 1000000000 + ts.tv_nsec;
}

void http_request_cpu(benchmark::State& state) {
  const int variant = static_cast<int>(state.range(0));  // 0 plain, 1 scope layer, 2 empty layer
  const asyncctx::service_registry services = make_registry();
  boost::asio::io_context ioc;
  std::optional<asyncctx::asio::http_server> server;
  const boost::asio::ip::tcp::endpoint loopback(boost::asio::ip::make_address("127.0.0.1"), 0);
  if (variant == 2) {
    asyncctx::asio::http_server_options options;
    options.layers.push_back(std::make_shared<asyncctx::asio::http_layer>());
    server.emplace(ioc, loopback, ok, std::move(options));
  } else if (variant == 1) {
    asyncctx::asio::http_server_options options;
    options.layers.push_back(std::make_shared<asyncctx::asio::request_scope_layer>(services));
    server.emplace(
        ioc, loopback,
        [](const http_request& req) {
          resolve_three();
          return ok(req);
        },
        std::move(options));
  } else {
    server.emplace(ioc, loopback, ok);
  }
  std::thread io([&] { ioc.run(); });
  const pthread_t io_thread = io.native_handle();

  boost::asio::io_context client_ioc;
  boost::beast::tcp_stream stream(client_ioc);
  stream.connect(server->local_endpoint());
  http_request req{http::verb::get, "/", 11};
  req.set(http::field::host, "127.0.0.1");
  boost::beast::flat_buffer buffer;
  const auto one = [&] {
    http::write(stream, req);
    http_response res;
    http::read(stream, buffer, res);
    benchmark::DoNotOptimize(res.body().data());
  };
  for (int i = 0; i < 200; ++i) one();  // warm-up

  const std::int64_t cpu_before = thread_cpu_ns(io_thread);
  for (auto _ : state) one();
  const std::int64_t cpu_after = thread_cpu_ns(io_thread);
  state.counters["server_cpu_ns"] =
      benchmark::Counter(static_cast<double>(cpu_after - cpu_before) / static_cast<double>(state.iterations()));

  boost::beast::error_code ignored;
  stream.socket().shutdown(boost::asio::ip::tcp::socket::shutdown_both, ignored);
  stream.close();
  server->stop();
  io.join();
  server.reset();
}
BENCHMARK(http_request_cpu)->ArgName("variant")->Arg(0)->Arg(2)->Arg(1)->UseRealTime();

void scope_open_close_3(benchmark::State& state) {
  const asyncctx::service_registry services = make_registry();
  asyncctx::async_scope::run(services, [] { (void)asyncctx::resolve<auth_client>(); });
  for (auto _ : state) asyncctx::async_scope::run(services, resolve_three);
}
BENCHMARK(scope_open_close_3);

}  // namespace

BENCHMARK_MAIN();
