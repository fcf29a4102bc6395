// asyncctx::asio::request_scope_layer: the http_layer that opens an async_scope per request,
// so that async_var values and scoped services are per request, everywhere the request's work
// goes (its handler, tasks, pool jobs, Asio handlers).
//
//   asyncctx::service_registry services;                  // at start-up
//   services.add_scoped<db_session>([] { return db_session::open(); });
//   asyncctx::asio::http_server_options options;
//   options.layers.push_back(std::make_shared<asyncctx::asio::request_scope_layer>(services));
//   asyncctx::asio::http_server server(ioc, endpoint, handler, std::move(options));
//   // in the handler, and in everything it starts: asyncctx::resolve<db_session>()
//
// The scope is opened in the request's context (with its request_context and what the outer
// layers bound) and is current for the handler and everything it starts. The server holds the
// handler's context until the request's on_end, so a request's scope ends (its scoped services
// are disposed, async_scope.hpp) after its response was written or its connection lost, and
// after the last task, job or handler that captured it is done. Put the layer before the
// layers whose on_response / on_end resolve services, so that those run inside the scope.
//
// Thread-safety: one layer serves every request, on any io thread at once; it holds nothing
// per request.
#pragma once

#include <asyncctx/asio/http_layer.hpp>
#include <asyncctx/async_scope.hpp>
#include <asyncctx/service_registry.hpp>

#include <functional>
#include <memory>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

class request_scope_layer final : public http_layer {
 public:
  // A scope per request, without services (for async_var), nested in the scope current when
  // the server was constructed, if any (its base context).
  request_scope_layer() = default;

  // A scope per request that resolves services from `services`, which must outlive the
  // server. Freezes and validates the registry now (service_registry::validate), so a captive
  // dependency or a cycle stops the program at start-up rather than at the first request.
  explicit request_scope_layer(const service_registry& services) : services_(&services) {
    static_cast<void>(asyncctx::detail::registry_root(services));
  }

  // The same, sharing the registry's ownership.
  explicit request_scope_layer(std::shared_ptr<const service_registry> services) : request_scope_layer(*services) {
    owner_ = std::move(services);
  }

  void around_request(const http_request& req, const std::function<void()>& next) override {
    static_cast<void>(req);
    if (services_ != nullptr) {
      async_scope::run(*services_, next);
    } else {
      async_scope::run(next);
    }
  }

 private:
  const service_registry* services_ = nullptr;
  std::shared_ptr<const service_registry> owner_;
};

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
