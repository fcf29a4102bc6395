// Tracing of the request_context_server demo: every request is a SERVER span (through
// asyncctx::trace::http_server_layer), the handler adds child spans, and an in-process span
// processor prints the request's spans as a compact tree when its SERVER span ends:
//
//   trace 4bf92f3577b34da6a3ce929d0e0e4736
//     GET /hello  server  51.2 ms  status 200
//     ├─ pool work  internal  0.4 ms
//     └─ render greeting  internal  0.1 ms
//
// When OTEL_EXPORTER_OTLP_ENDPOINT (or _TRACES_ENDPOINT) is set, the spans are also exported
// there, configured by the OTEL_* variables (asyncctx/trace/otel_environment.hpp).
// Built without asyncctx::trace_http (no ASYNCCTX_DEMO_TRACE_TREE), everything here does
// nothing, so the demo's code needs no conditionals.
#pragma once

#include <asyncctx/asio/http_layer.hpp>

#include <functional>
#include <memory>
#include <string_view>

#if defined(ASYNCCTX_DEMO_TRACE_TREE)
#include <asyncctx/trace/span.hpp>
#endif

namespace demo {

#if defined(ASYNCCTX_DEMO_TRACE_TREE)

class trace_tree {
 public:
  using span_handle = asyncctx::trace::span;

  // Sets the process-wide tracer provider; `print` gets each tree (several lines).
  explicit trace_tree(std::function<void(std::string_view)> print);
  ~trace_tree();  // flushes and shuts the provider down
  trace_tree(const trace_tree&) = delete;
  trace_tree& operator=(const trace_tree&) = delete;

  // The http_server layer that makes the SERVER spans.
  std::shared_ptr<asyncctx::asio::http_layer> layer() const;
  // A child of the current span, ended when the returned span goes.
  static span_handle start(std::string_view name);

 private:
  struct state;
  std::unique_ptr<state> state_;
};

#else

class trace_tree {
 public:
  struct span_handle {};
  explicit trace_tree(std::function<void(std::string_view)>) {}
  std::shared_ptr<asyncctx::asio::http_layer> layer() const { return std::make_shared<asyncctx::asio::http_layer>(); }
  static span_handle start(std::string_view) { return {}; }
};

#endif

}  // namespace demo
