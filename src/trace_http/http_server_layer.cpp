#include <asyncctx/trace/baggage.hpp>
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/http_server_layer.hpp>
#include <asyncctx/variable.hpp>

#include <mutex>
#include <utility>
#include <vector>

#include "semconv.hpp"

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

namespace http = boost::beast::http;

// One request's SERVER span and what on_response learnt, shared by the request's context.
struct server_request {
  trace::span span;  // ends when on_end ends it (or, failing that, with the last context)
  std::mutex mutex;  // on_response and on_end may run on different io threads
  unsigned status = 0;
};

const variable<std::shared_ptr<server_request>>& request_span_variable() {
  static const variable<std::shared_ptr<server_request>> v(
      variable<std::shared_ptr<server_request>>::options{"asyncctx.trace.http_server_span", std::nullopt});
  return v;
}

// Every value of a request header field, in order (the propagation API's getter).
struct request_getter {
  const asio::http_request& req;
  std::vector<std::string_view> operator()(std::string_view name) const {
    std::vector<std::string_view> values;
    auto [first, last] = req.equal_range(boost::beast::string_view(name.data(), name.size()));
    for (; first != last; ++first) values.emplace_back(first->value().data(), first->value().size());
    return values;
  }
};

template <class Name>
std::string_view field(const asio::http_request& req, Name name) {
  const auto it = req.find(name);
  if (it == req.end()) return {};
  return {it->value().data(), it->value().size()};
}

}  // namespace

http_server_layer::http_server_layer(http_server_layer_options options) : options_(std::move(options)) {}

void http_server_layer::around_request(const asio::http_request& req, const std::function<void()>& next) {
  const extracted_context extracted = extract(request_getter{req}, options_.propagation_formats);

  const std::string_view method(req.method_string().data(), req.method_string().size());
  const bool known = semconv::known_method(method);
  std::string_view target(req.target().data(), req.target().size());
  if (target.starts_with("http://") || target.starts_with("https://")) {  // absolute-form
    const std::size_t path = target.find('/', target.find("//") + 2);
    target = path == std::string_view::npos ? std::string_view("/") : target.substr(path);
  }
  const std::size_t q = target.find('?');
  const std::string route = options_.route ? options_.route(req) : std::string();

  span_options so;
  so.kind = span_kind::server;
  so.parent = extracted.parent;
  auto& a = so.attributes;
  a.push_back({"http.request.method", std::string(known ? method : "_OTHER")});
  if (!known) a.push_back({"http.request.method_original", std::string(method)});
  a.push_back({"url.path", std::string(target.substr(0, q))});
  if (q != std::string_view::npos && q + 1 < target.size())
    a.push_back({"url.query", std::string(target.substr(q + 1))});
  a.push_back({"url.scheme", std::string("http")});
  if (!route.empty()) a.push_back({"http.route", route});
  if (auto host = semconv::parse_host(field(req, http::field::host))) {
    a.push_back({"server.address", host->host});
    a.push_back({"server.port", std::int64_t{host->port.value_or(80)}});
  }
  a.push_back({"network.protocol.version", std::string(req.version() == 10 ? "1.0" : "1.1")});
  if (const auto ua = field(req, http::field::user_agent); !ua.empty()) {
    a.push_back({"user_agent.original", std::string(ua)});
  }
  if (auto client = semconv::forwarded_client(field(req, http::field::forwarded),
                                              field(req, boost::beast::string_view("X-Forwarded-For")))) {
    a.push_back({"client.address", std::move(*client)});
  }

  std::string name(known ? method : "HTTP");
  if (!route.empty()) name += " " + route;

  auto state = std::make_shared<server_request>();
  state->span = options_.provider ? options_.provider->tracer("asyncctx.http").start_span(name, std::move(so))
                                  : trace::start_span(name, std::move(so));
  const span_ref current = state->span.ref();
  with_baggage(extracted.baggage,
               [&] { with_span(current, [&] { request_span_variable().run(std::move(state), next); }); });
}

void http_server_layer::on_response(asio::http_response& res) {
  const auto* state = request_span_variable().get();
  if (state == nullptr || !*state) return;
  std::lock_guard lock((*state)->mutex);
  (*state)->status = res.result_int();
}

void http_server_layer::on_end(asio::http_request_outcome outcome) {
  const auto* state = request_span_variable().get();
  if (state == nullptr || !*state) return;
  server_request& r = **state;
  std::lock_guard lock(r.mutex);
  if (outcome == asio::http_request_outcome::responded && r.status != 0) {
    r.span.set_attribute("http.response.status_code", std::int64_t{r.status});
    if (r.status >= 500) {
      r.span.set_attribute("error.type", std::to_string(r.status));
      r.span.set_status(status_code::error);
    }
  } else {
    r.span.set_attribute("error.type", "connection_lost");
    r.span.set_status(status_code::error, "the connection was lost before the response was written");
  }
  r.span.end();
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
