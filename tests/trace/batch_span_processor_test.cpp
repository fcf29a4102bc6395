// The batch span processor: batches, the scheduled delay, a bounded queue whose drops are
// counted and reported, flush and shutdown within their timeouts, and an on_end that never
// waits for the exporter.
#include <asyncctx/error_handler.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace trace = asyncctx::trace;
using namespace std::chrono_literals;

// An exporter that records batch sizes and can be held (export blocks until released).
class gate_exporter final : public trace::span_exporter {
 public:
  result export_spans(std::span<const trace::span_data> batch) override {
    std::unique_lock lock(mutex_);
    ++entered_;
    suppressed_in_export_ = trace::is_suppressed();
    changed_.notify_all();
    changed_.wait(lock, [&] { return !held_; });
    sizes_.push_back(batch.size());
    total_ += batch.size();
    changed_.notify_all();
    return fail_ ? result::failure : result::success;
  }
  bool force_flush(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    ++flushes_;
    return true;
  }
  bool shutdown(std::chrono::milliseconds) override {
    std::lock_guard lock(mutex_);
    ++shutdowns_;
    held_ = false;  // a hung export gives up when shut down
    changed_.notify_all();
    return true;
  }

  void hold() {
    std::lock_guard lock(mutex_);
    held_ = true;
  }
  void release() {
    std::lock_guard lock(mutex_);
    held_ = false;
    changed_.notify_all();
  }
  void fail() {
    std::lock_guard lock(mutex_);
    fail_ = true;
  }
  bool wait_entered(int n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return entered_ >= n; });
  }
  bool wait_total(std::size_t n, std::chrono::milliseconds timeout = 10s) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return total_ >= n; });
  }
  std::size_t total() {
    std::lock_guard lock(mutex_);
    return total_;
  }
  std::vector<std::size_t> sizes() {
    std::lock_guard lock(mutex_);
    return sizes_;
  }
  int flushes() {
    std::lock_guard lock(mutex_);
    return flushes_;
  }
  int shutdowns() {
    std::lock_guard lock(mutex_);
    return shutdowns_;
  }
  bool suppressed_in_export() {
    std::lock_guard lock(mutex_);
    return suppressed_in_export_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool held_ = false;
  bool fail_ = false;
  int entered_ = 0;
  std::size_t total_ = 0;
  std::vector<std::size_t> sizes_;
  int flushes_ = 0;
  int shutdowns_ = 0;
  bool suppressed_in_export_ = false;
};

trace::span_data sampled_span(int i = 0) {
  trace::span_data d;
  d.name = "s" + std::to_string(i);
  d.trace_flags = trace::trace_flag_sampled;
  return d;
}

// Collects error-channel reports of kind trace_export while alive.
struct report_recorder {
  report_recorder() {
    previous = asyncctx::set_error_handler([this](const asyncctx::error_report& r) {
      if (r.kind != asyncctx::error_kind::trace_export) return;
      std::lock_guard lock(mutex);
      messages.emplace_back(r.message);
    });
  }
  ~report_recorder() { asyncctx::set_error_handler(previous); }
  std::vector<std::string> get() {
    std::lock_guard lock(mutex);
    return messages;
  }
  asyncctx::error_handler previous;
  std::mutex mutex;
  std::vector<std::string> messages;
};

TEST(BatchSpanProcessor, ExportsInBatchesOfAtMostTheMaximumSize) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 10});
  for (int i = 0; i < 35; ++i) p.on_end(sampled_span(i));
  EXPECT_TRUE(p.force_flush(10s));
  EXPECT_EQ(e->total(), 35u);
  for (std::size_t n : e->sizes()) EXPECT_LE(n, 10u);
  EXPECT_EQ(p.exported(), 35u);
}

TEST(BatchSpanProcessor, ExportsAfterTheScheduledDelay) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.max_queue_size = 100, .schedule_delay = 20ms, .max_export_batch_size = 50});
  p.on_end(sampled_span());
  EXPECT_TRUE(e->wait_total(1));
}

TEST(BatchSpanProcessor, ExportsAsSoonAsAFullBatchIsWaiting) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.max_queue_size = 100, .schedule_delay = 1h, .max_export_batch_size = 5});
  for (int i = 0; i < 5; ++i) p.on_end(sampled_span(i));
  EXPECT_TRUE(e->wait_total(5));
}

TEST(BatchSpanProcessor, UnsampledSpansAreNotExported) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  trace::span_data d = sampled_span();
  d.trace_flags = 0;
  p.on_end(std::move(d));
  EXPECT_TRUE(p.force_flush(10s));
  EXPECT_EQ(e->total(), 0u);
}

TEST(BatchSpanProcessor, AFullQueueDropsCountsAndReports) {
  report_recorder reports;
  auto e = std::make_shared<gate_exporter>();
  e->hold();
  trace::batch_span_processor p(e, {.max_queue_size = 4, .schedule_delay = 1h, .max_export_batch_size = 1});
  p.on_end(sampled_span(0));
  ASSERT_TRUE(e->wait_entered(1)) << "the export thread took the first span and is held";
  for (int i = 1; i <= 10; ++i) p.on_end(sampled_span(i));
  EXPECT_EQ(p.dropped(), 6u) << "4 fit in the queue, 6 did not";
  e->release();
  EXPECT_TRUE(p.force_flush(10s));
  EXPECT_EQ(e->total(), 5u);
  bool reported = false;
  for (const auto& m : reports.get()) reported = reported || m.find("6 span(s) dropped") != std::string::npos;
  EXPECT_TRUE(reported) << "the drops are reported through the error channel";
}

TEST(BatchSpanProcessor, OnEndNeverWaitsForAStuckExporter) {
  auto e = std::make_shared<gate_exporter>();
  e->hold();
  trace::batch_span_processor p(e, {.max_queue_size = 64, .schedule_delay = 1h, .max_export_batch_size = 8});
  p.on_end(sampled_span());
  p.force_flush(0ms);
  ASSERT_TRUE(e->wait_entered(1));
  auto worst = std::chrono::nanoseconds(0);
  for (int i = 0; i < 10000; ++i) {
    const auto start = std::chrono::steady_clock::now();
    p.on_end(sampled_span(i));
    worst = std::max(worst, std::chrono::steady_clock::now() - start);
  }
  // The exporter is held for the whole loop: a blocking on_end would never return.
  EXPECT_LT(worst, 1s);
  EXPECT_GT(p.dropped(), 0u);
  e->release();
}

TEST(BatchSpanProcessor, ForceFlushExportsEverythingQueuedAndFlushesTheExporter) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  for (int i = 0; i < 7; ++i) p.on_end(sampled_span(i));
  EXPECT_TRUE(p.force_flush(10s));
  EXPECT_EQ(e->total(), 7u);
  EXPECT_EQ(e->flushes(), 1);
}

TEST(BatchSpanProcessor, ForceFlushReturnsFalseWhenItsTimeoutRunsOut) {
  auto e = std::make_shared<gate_exporter>();
  e->hold();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  p.on_end(sampled_span());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p.force_flush(50ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  e->release();
}

TEST(BatchSpanProcessor, ShutdownExportsTheRestAndShutsTheExporterDown) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  for (int i = 0; i < 3; ++i) p.on_end(sampled_span(i));
  EXPECT_TRUE(p.shutdown(10s));
  EXPECT_EQ(e->total(), 3u);
  EXPECT_EQ(e->shutdowns(), 1);
  p.on_end(sampled_span());
  EXPECT_TRUE(p.shutdown(10s)) << "a second shutdown changes nothing";
  EXPECT_EQ(e->total(), 3u) << "spans ended after shutdown are not exported";
}

TEST(BatchSpanProcessor, ShutdownReturnsWithinItsTimeoutWhenTheExporterHangs) {
  auto e = std::make_shared<gate_exporter>();
  e->hold();
  auto p = std::make_unique<trace::batch_span_processor>(
      e, trace::batch_span_processor_options{.schedule_delay = 1h, .export_timeout = 50ms});
  p->on_end(sampled_span());
  p->force_flush(0ms);
  ASSERT_TRUE(e->wait_entered(1));
  const auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(p->shutdown(100ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
  p.reset();  // the export thread finishes on its own once the exporter gives up
}

TEST(BatchSpanProcessor, ExportsRunWithTracingSuppressed) {
  auto e = std::make_shared<gate_exporter>();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  p.on_end(sampled_span());
  EXPECT_TRUE(p.force_flush(10s));
  EXPECT_TRUE(e->suppressed_in_export());
}

TEST(BatchSpanProcessor, AFailedExportIsCountedAndReported) {
  report_recorder reports;
  auto e = std::make_shared<gate_exporter>();
  e->fail();
  trace::batch_span_processor p(e, {.schedule_delay = 1h});
  p.on_end(sampled_span());
  EXPECT_FALSE(p.force_flush(10s));
  EXPECT_EQ(p.failed(), 1u);
  ASSERT_FALSE(reports.get().empty());
  EXPECT_NE(reports.get().at(0).find("failed"), std::string::npos);
}

}  // namespace
