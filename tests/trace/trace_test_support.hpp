// Test helpers: an exporter that keeps what it gets, and a provider wired to it.
#pragma once

#include <asyncctx/trace/simple_span_processor.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace trace_test {

class memory_exporter final : public asyncctx::trace::span_exporter {
 public:
  result export_spans(std::span<const asyncctx::trace::span_data> batch) override {
    std::lock_guard lock(mutex_);
    spans_.insert(spans_.end(), batch.begin(), batch.end());
    ++calls_;
    return result::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }

  std::vector<asyncctx::trace::span_data> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }
  const asyncctx::trace::span_data* find(const std::string& name) const {
    std::lock_guard lock(mutex_);
    for (const auto& s : spans_)
      if (s.name == name) return &s;
    return nullptr;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return spans_.size();
  }
  int calls() const {
    std::lock_guard lock(mutex_);
    return calls_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<asyncctx::trace::span_data> spans_;
  int calls_ = 0;
};

struct fixture {
  explicit fixture(std::shared_ptr<const asyncctx::trace::sampler> s = nullptr,
                   asyncctx::trace::span_limits limits = {}) {
    asyncctx::trace::tracer_provider_options o;
    if (s) o.span_sampler = std::move(s);
    o.processors.push_back(std::make_shared<asyncctx::trace::simple_span_processor>(exporter));
    o.limits = limits;
    o.res = asyncctx::trace::resource{{{"service.name", std::string("trace-test")}}};
    provider = std::make_unique<asyncctx::trace::tracer_provider>(std::move(o));
    tracer = provider->tracer("trace-test", "1.0");
  }
  std::shared_ptr<memory_exporter> exporter = std::make_shared<memory_exporter>();
  std::unique_ptr<asyncctx::trace::tracer_provider> provider;
  asyncctx::trace::tracer tracer;
};

}  // namespace trace_test
