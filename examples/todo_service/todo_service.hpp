// todo_service: the todo service assembled — its services (a registry: the store and the auth
// client as singletons, the request's todo_repository as a scoped service), its database
// pool, its API, and the layers every request of its http_server runs in:
//   1. trace::http_server_layer — a SERVER span per request ("GET /todos/{id}"), continuing
//      an incoming traceparent;
//   2. asio::http_cancellation_layer — a deadline per request, cancelled when the client goes
//      (which interrupts its SQLite statement);
//   3. asio::request_scope_layer — an async_scope per request, resolving from the registry;
//      the request's repository is disposed when the request and all its work are done.
// Thread-safety: every member may be used from any thread.
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "auth_client.hpp"
#include "todo_api.hpp"
#include "todo_store.hpp"

namespace todo {

struct service_options {
  todo_store::options store{};
  api_options api{};
  // Threads of the database pool; 0: one per database connection (store.connections for a
  // file, 1 for ":memory:", which is one shared connection). More threads than connections
  // only queue on the connections: each wait and hand-over is a futex sleep and wake-up.
  unsigned db_threads = 0;
  // Each request's deadline (its response is a 503 after it); zero: none.
  std::chrono::milliseconds deadline{10000};
  // Where the spans go; null: nowhere (a provider without processors).
  std::shared_ptr<asyncctx::trace::tracer_provider> tracing{};
  // The bearer tokens the auth client knows: token -> user name.
  std::vector<std::pair<std::string, std::string>> tokens{};
};

class todo_service {
 public:
  explicit todo_service(service_options options);
  ~todo_service();
  todo_service(const todo_service&) = delete;
  todo_service& operator=(const todo_service&) = delete;

  // The http_server options that serve this service: its layers.
  asyncctx::asio::http_server_options server_options() const;

  // The http_server handler.
  asyncctx::task<http_response> handle(http_request req) { return api_.handle(std::move(req)); }

  asyncctx::thread_pool& db_pool() noexcept { return pool_; }

 private:
  service_options options_;
  auth_client auth_;
  asyncctx::service_registry services_;
  asyncctx::thread_pool pool_;
  todo_api api_;
  std::vector<std::shared_ptr<asyncctx::asio::http_layer>> layers_;
};

}  // namespace todo
