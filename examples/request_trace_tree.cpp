// The demo's trace tree (request_trace_tree.hpp).
#include "request_trace_tree.hpp"

#include <asyncctx/trace/http_server_layer.hpp>
#include <asyncctx/trace/otel_environment.hpp>
#include <asyncctx/trace/span_processor.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <variant>
#include <vector>

namespace demo {
namespace {

using namespace asyncctx::trace;

// Collects ended spans per trace; when a SERVER span ends (its children ended before it),
// prints the tree below it and forgets them. Bounded: a trace whose SERVER span never ends
// here is dropped once more than max_pending traces wait.
class tree_printer final : public span_processor {
 public:
  explicit tree_printer(std::function<void(std::string_view)> print) : print_(std::move(print)) {}

  void on_end(span_data&& span) override {
    std::vector<span_data> spans;
    {
      std::lock_guard lock(mutex_);
      const std::string key = span.trace.to_hex();
      auto& pending = pending_[key];
      const bool root = span.kind == span_kind::server;
      pending.push_back(std::move(span));
      if (!root) {
        if (pending_.size() > max_pending) pending_.erase(pending_.begin());
        return;
      }
      spans = std::move(pending);
      pending_.erase(key);
    }
    print_(render(spans));
  }
  bool force_flush(std::chrono::milliseconds) override { return true; }
  bool shutdown(std::chrono::milliseconds) override { return true; }

 private:
  static constexpr std::size_t max_pending = 1024;

  static std::string describe(const span_data& s) {
    static constexpr const char* kinds[] = {"?", "internal", "server", "client", "producer", "consumer"};
    char ms[32];
    std::snprintf(ms, sizeof ms, "%.1f ms", static_cast<double>(s.end_unix_nano - s.start_unix_nano) / 1e6);
    std::string line = s.name + "  " + kinds[static_cast<int>(s.kind) % 6] + "  " + ms;
    for (const attribute& a : s.attributes) {
      if (a.key == "http.response.status_code" && std::holds_alternative<std::int64_t>(a.value)) {
        line += "  status " + std::to_string(std::get<std::int64_t>(a.value));
      }
    }
    if (s.status == status_code::error) line += "  ERROR";
    return line;
  }

  static void subtree(const std::vector<span_data>& spans, const span_data& node, const std::string& prefix,
                      std::string& out) {
    std::vector<const span_data*> children;
    for (const span_data& s : spans) {
      if (s.parent == node.span) children.push_back(&s);
    }
    std::sort(children.begin(), children.end(),
              [](const span_data* a, const span_data* b) { return a->start_unix_nano < b->start_unix_nano; });
    for (std::size_t i = 0; i < children.size(); ++i) {
      const bool last = i + 1 == children.size();
      out += prefix + (last ? "└─ " : "├─ ") + describe(*children[i]) + "\n";
      subtree(spans, *children[i], prefix + (last ? "   " : "│  "), out);
    }
  }

  static std::string render(const std::vector<span_data>& spans) {
    const span_data& root = spans.back();  // the SERVER span, which ended last
    std::string out = "trace " + root.trace.to_hex();
    if (root.parent.is_valid()) out += " (parent " + root.parent.to_hex() + " from the caller)";
    out += "\n  " + describe(root) + "\n";
    subtree(spans, root, "  ", out);
    return out;
  }

  std::function<void(std::string_view)> print_;
  std::mutex mutex_;
  std::map<std::string, std::vector<span_data>> pending_;
};

}  // namespace

struct trace_tree::state {
  otel_tracing tracing;
  std::shared_ptr<http_server_layer> layer;
};

trace_tree::trace_tree(std::function<void(std::string_view)> print) : state_(std::make_unique<state>()) {
  auto printer = std::make_shared<tree_printer>(std::move(print));
  const bool otlp = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT") != nullptr ||
                    std::getenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") != nullptr;
  otel_environment env = read_otel_environment();
  if (env.service_name.empty()) env.service_name = "request_context_server";
  if (!otlp) env.exporters.clear();  // the tree only: no back end needed
  state_->tracing = make_tracing(env, std::cerr, {printer});
  set_tracer_provider(state_->tracing.provider);
  http_server_layer_options options;
  options.provider = state_->tracing.provider;
  options.propagation_formats = state_->tracing.propagation_formats;
  // The demo serves one route, so its path is its route (never do this with ids in paths).
  options.route = [](const asyncctx::asio::http_request& req) {
    const std::string target(req.target());
    return target.substr(0, target.find('?'));
  };
  state_->layer = std::make_shared<http_server_layer>(std::move(options));
}

trace_tree::~trace_tree() {
  state_->tracing.provider->force_flush(std::chrono::seconds(5));
  state_->tracing.provider->shutdown(std::chrono::seconds(5));
  set_tracer_provider(nullptr);
}

std::shared_ptr<asyncctx::asio::http_layer> trace_tree::layer() const { return state_->layer; }

trace_tree::span_handle trace_tree::start(std::string_view name) { return start_span(name); }

}  // namespace demo
