// A span processor that keeps every ended span in memory, for tests that check the spans a
// component made (their names, kinds, parents, attributes).
#pragma once

#include <asyncctx/trace/span_processor.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace asyncctx_test {

class span_collector final : public asyncctx::trace::span_processor {
 public:
  void on_end(asyncctx::trace::span_data&& span) override {
    {
      std::lock_guard lock(mutex_);
      spans_.push_back(std::move(span));
    }
    changed_.notify_all();
  }
  bool force_flush(std::chrono::milliseconds) override { return true; }
  bool shutdown(std::chrono::milliseconds) override { return true; }

  // Waits (bounded) until at least n spans ended; returns them all.
  std::vector<asyncctx::trace::span_data> wait_for(std::size_t n,
                                                   std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, timeout, [&] { return spans_.size() >= n; });
    return spans_;
  }
  std::vector<asyncctx::trace::span_data> spans() {
    std::lock_guard lock(mutex_);
    return spans_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<asyncctx::trace::span_data> spans_;
};

// A provider whose only processor is `collector`.
inline std::shared_ptr<asyncctx::trace::tracer_provider> collecting_provider(
    std::shared_ptr<span_collector> collector) {
  asyncctx::trace::tracer_provider_options o;
  o.processors.push_back(std::move(collector));
  return std::make_shared<asyncctx::trace::tracer_provider>(std::move(o));
}

inline const asyncctx::trace::attribute_value* find_attribute(const asyncctx::trace::span_data& s,
                                                              const std::string& key) {
  for (const auto& a : s.attributes) {
    if (a.key == key) return &a.value;
  }
  return nullptr;
}
inline std::string string_attribute(const asyncctx::trace::span_data& s, const std::string& key) {
  const auto* v = find_attribute(s, key);
  return v != nullptr && std::holds_alternative<std::string>(*v) ? std::get<std::string>(*v) : std::string("<none>");
}
inline std::int64_t int_attribute(const asyncctx::trace::span_data& s, const std::string& key) {
  const auto* v = find_attribute(s, key);
  return v != nullptr && std::holds_alternative<std::int64_t>(*v) ? std::get<std::int64_t>(*v) : -1;
}

}  // namespace asyncctx_test
