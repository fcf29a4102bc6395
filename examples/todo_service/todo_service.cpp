#include "todo_service.hpp"

#include <asyncctx/asio/http_cancellation_layer.hpp>
#include <asyncctx/asio/request_scope_layer.hpp>
#include <asyncctx/trace/http_server_layer.hpp>

#include <stdexcept>
#include <string>
#include <utility>

#include "todo_repository.hpp"

namespace todo {

namespace {

std::shared_ptr<asyncctx::trace::tracer_provider> provider_or_silent(
    std::shared_ptr<asyncctx::trace::tracer_provider> p) {
  if (p) return p;
  return std::make_shared<asyncctx::trace::tracer_provider>();
}

// The route template of a request, for the span's name and http.route (never the raw path:
// it must stay low-cardinality).
std::string route_of(const asyncctx::asio::http_request& req) {
  std::string_view target = req.target();
  target = target.substr(0, target.find('?'));
  if (target == "/todos" || target == "/todos/") return "/todos";
  if (target.rfind("/todos/", 0) == 0) return "/todos/{id}";
  return {};
}

}  // namespace

todo_service::todo_service(service_options options)
    : options_(std::move(options)),
      pool_(options_.db_threads != 0 ? options_.db_threads : todo_store::connection_count(options_.store)),
      api_(auth_, pool_, provider_or_silent(options_.tracing)->tracer("todo_service", "1.0"), options_.api) {
  options_.tracing = provider_or_silent(std::move(options_.tracing));
  for (auto& [token, name] : options_.tokens) auth_.issue(token, name);
  const asyncctx::trace::tracer tracer = options_.tracing->tracer("todo_service", "1.0");
  const todo_store::options store_options = options_.store;
  services_.add_singleton<todo_store>([store_options] { return std::make_unique<todo_store>(store_options); });
  services_.add_scoped<todo_repository>([tracer](todo_store& store) {
    std::optional<user> who = todo_api::current_user();
    if (!who) throw std::logic_error("todo_repository is resolved after the request's authentication");
    return std::make_unique<todo_repository>(store, who->name, tracer);
  });
  services_.validate();

  layers_.push_back(std::make_shared<asyncctx::trace::http_server_layer>(
      asyncctx::trace::http_server_layer_options{.provider = options_.tracing, .route = route_of}));
  layers_.push_back(std::make_shared<asyncctx::asio::http_cancellation_layer>(
      asyncctx::asio::http_cancellation_layer::options{.deadline = options_.deadline}));
  layers_.push_back(std::make_shared<asyncctx::asio::request_scope_layer>(services_));
}

todo_service::~todo_service() { pool_.wait_idle(); }

asyncctx::asio::http_server_options todo_service::server_options() const {
  asyncctx::asio::http_server_options options;
  options.layers = layers_;
  return options;
}

}  // namespace todo
