// The batch span processor: a bounded multi-producer queue (Vyukov's array queue: each cell
// carries a sequence number that says whose turn it is) and one export thread.
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct batch_span_processor::state {
  struct cell {
    std::atomic<std::uint64_t> sequence{0};
    span_data data;
  };

  explicit state(std::shared_ptr<span_exporter> e, batch_span_processor_options o)
      : exporter(std::move(e)), options(o), cells(std::max<std::size_t>(o.max_queue_size, 1)) {
    options.max_queue_size = cells.size();
    options.max_export_batch_size = std::clamp<std::size_t>(options.max_export_batch_size, 1, cells.size());
    for (std::size_t i = 0; i < cells.size(); ++i) cells[i].sequence.store(i, std::memory_order_relaxed);
  }

  std::shared_ptr<span_exporter> exporter;
  batch_span_processor_options options;
  std::vector<cell> cells;

  alignas(64) std::atomic<std::uint64_t> enqueue_pos{0};
  alignas(64) std::atomic<std::uint64_t> dequeue_pos{0};  // written by the export thread only
  alignas(64) std::atomic<std::uint64_t> dropped{0};
  std::atomic<std::uint64_t> exported{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<bool> wake_requested{false};
  std::atomic<bool> accepting{true};

  std::mutex mutex;  // guards the fields below; held only briefly, never while exporting
  std::condition_variable wake;
  std::condition_variable done;
  std::uint64_t flush_requested = 0;
  std::uint64_t flush_done = 0;
  bool flush_result = true;
  bool stop = false;
  bool finished = false;
  bool shutdown_result = true;

  bool push(span_data&& span) noexcept {
    const std::uint64_t capacity = cells.size();
    std::uint64_t pos = enqueue_pos.load(std::memory_order_relaxed);
    cell* c = nullptr;
    while (true) {
      c = &cells[pos % capacity];
      const std::uint64_t seq = c->sequence.load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (diff == 0) {
        if (enqueue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // full: the cell still holds a span from a lap ago
      } else {
        pos = enqueue_pos.load(std::memory_order_relaxed);
      }
    }
    c->data = std::move(span);
    c->sequence.store(pos + 1, std::memory_order_release);
    // Wake the exporter once a batch is waiting (once per batch, not once per span).
    if (pos + 1 - dequeue_pos.load(std::memory_order_relaxed) >= options.max_export_batch_size &&
        !wake_requested.exchange(true, std::memory_order_relaxed)) {
      std::lock_guard lock(mutex);
      wake.notify_one();
    }
    return true;
  }

  // Export thread only: moves up to `max` ready spans into out.
  void pop(std::vector<span_data>& out, std::size_t max) {
    const std::uint64_t capacity = cells.size();
    std::uint64_t pos = dequeue_pos.load(std::memory_order_relaxed);
    while (out.size() < max) {
      cell& c = cells[pos % capacity];
      if (c.sequence.load(std::memory_order_acquire) != pos + 1) break;  // empty, or still being written
      out.push_back(std::move(c.data));                                  // leaves c.data empty, ready for the next lap
      c.sequence.store(pos + capacity, std::memory_order_release);
      ++pos;
    }
    dequeue_pos.store(pos, std::memory_order_relaxed);
  }

  bool export_batch(std::vector<span_data>& batch) {
    if (batch.empty()) return true;
    bool ok = false;
    try {
      ok = suppress([&] { return exporter->export_spans(batch); }) == span_exporter::result::success;
    } catch (...) {
      asyncctx::detail::report_error(error_kind::trace_export,
                                     "the span exporter threw; " + std::to_string(batch.size()) + " span(s) lost",
                                     std::current_exception());
    }
    (ok ? exported : failed).fetch_add(batch.size(), std::memory_order_relaxed);
    if (!ok) {
      asyncctx::detail::report_error(error_kind::trace_export,
                                     "the span exporter failed; " + std::to_string(batch.size()) + " span(s) lost",
                                     nullptr);
    }
    batch.clear();
    return ok;
  }

  // Exports everything that is ready; false if an export failed.
  bool drain(std::vector<span_data>& batch) {
    bool ok = true;
    while (true) {
      pop(batch, options.max_export_batch_size);
      if (batch.empty()) return ok;
      ok = export_batch(batch) && ok;
    }
  }

  // Reports new drops on the error channel, at most once a second (and always at the end),
  // so that a queue that stays full does not flood the channel.
  void report_drops(std::uint64_t& reported, std::chrono::steady_clock::time_point& last, bool final_report) {
    const std::uint64_t now = dropped.load(std::memory_order_relaxed);
    const auto t = std::chrono::steady_clock::now();
    if (now == reported || (!final_report && t - last < std::chrono::seconds(1))) return;
    asyncctx::detail::report_error(error_kind::trace_export,
                                   "the batch span queue was full: " + std::to_string(now - reported) +
                                       " span(s) dropped (" + std::to_string(now) + " in all)",
                                   nullptr);
    reported = now;
    last = t;
  }

  template <class F>
  bool call_exporter(const char* what, F&& f) {
    try {
      return suppress(std::forward<F>(f));
    } catch (...) {
      asyncctx::detail::report_error(error_kind::trace_export, std::string("the span exporter threw from ") + what,
                                     std::current_exception());
      return false;
    }
  }

  void run() {
    std::vector<span_data> batch;
    batch.reserve(options.max_export_batch_size);
    std::uint64_t reported_drops = 0;
    auto last_report = std::chrono::steady_clock::now() - std::chrono::seconds(1);
    auto next = std::chrono::steady_clock::now() + options.schedule_delay;
    while (true) {
      std::uint64_t flush_target = 0;
      bool flushing = false;
      bool stopping = false;
      {
        std::unique_lock lock(mutex);
        wake.wait_until(lock, next, [&] {
          return stop || flush_requested != flush_done || wake_requested.load(std::memory_order_relaxed);
        });
        stopping = stop;
        flush_target = flush_requested;
        flushing = flush_target != flush_done;
      }
      wake_requested.store(false, std::memory_order_relaxed);
      const auto now = std::chrono::steady_clock::now();
      if (now >= next) next = now + options.schedule_delay;

      // A full batch, the scheduled delay, a flush or the shutdown: export what is ready.
      const bool ok = drain(batch);
      report_drops(reported_drops, last_report, stopping || flushing);
      if (stopping) {
        const bool exporter_ok = call_exporter("shutdown", [&] { return exporter->shutdown(options.export_timeout); });
        std::lock_guard lock(mutex);
        shutdown_result = ok && exporter_ok;
        finished = true;
        flush_done = flush_requested;
        done.notify_all();
        return;
      }
      if (flushing) {
        const bool exporter_ok =
            call_exporter("force_flush", [&] { return exporter->force_flush(options.export_timeout); });
        std::lock_guard lock(mutex);
        flush_result = ok && exporter_ok;
        flush_done = flush_target;
        done.notify_all();
      }
    }
  }

  std::mutex join_mutex;
  std::thread worker;
};

batch_span_processor::batch_span_processor(std::shared_ptr<span_exporter> exporter,
                                           batch_span_processor_options options)
    : state_(std::make_shared<state>(std::move(exporter), options)) {
  // The thread owns a reference to the state, so that a shutdown that times out can leave it
  // to finish on its own.
  state_->worker = std::thread([s = state_] { s->run(); });
}

batch_span_processor::~batch_span_processor() {
  shutdown(state_->options.export_timeout);
  std::lock_guard lock(state_->join_mutex);
  if (state_->worker.joinable()) state_->worker.detach();
}

void batch_span_processor::on_end(span_data&& span) {
  if ((span.trace_flags & trace_flag_sampled) == 0 || !state_->accepting.load(std::memory_order_relaxed)) return;
  if (!state_->push(std::move(span))) state_->dropped.fetch_add(1, std::memory_order_relaxed);
}

bool batch_span_processor::force_flush(std::chrono::milliseconds timeout) {
  state& s = *state_;
  std::unique_lock lock(s.mutex);
  if (s.finished) return true;
  const std::uint64_t target = ++s.flush_requested;
  s.wake.notify_one();
  if (!s.done.wait_for(lock, timeout, [&] { return s.flush_done >= target || s.finished; })) return false;
  return s.finished ? true : s.flush_result;
}

bool batch_span_processor::shutdown(std::chrono::milliseconds timeout) {
  state& s = *state_;
  s.accepting.store(false, std::memory_order_relaxed);
  std::unique_lock lock(s.mutex);
  if (s.stop) {
    // Already shutting down (or done): wait for the same end.
    return s.done.wait_for(lock, timeout, [&] { return s.finished; }) && s.shutdown_result;
  }
  s.stop = true;
  s.wake.notify_one();
  if (s.done.wait_for(lock, timeout, [&] { return s.finished; })) {
    const bool result = s.shutdown_result;
    lock.unlock();
    std::lock_guard join_lock(s.join_mutex);
    if (s.worker.joinable()) s.worker.join();
    return result;
  }
  lock.unlock();
  // The export thread is stuck in the exporter: ask the exporter to give up; the thread ends
  // on its own (it owns the state).
  try {
    s.exporter->shutdown(std::chrono::milliseconds(0));
  } catch (...) {
  }
  return false;
}

std::uint64_t batch_span_processor::dropped() const noexcept { return state_->dropped.load(std::memory_order_relaxed); }
std::uint64_t batch_span_processor::exported() const noexcept {
  return state_->exported.load(std::memory_order_relaxed);
}
std::uint64_t batch_span_processor::failed() const noexcept { return state_->failed.load(std::memory_order_relaxed); }

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
