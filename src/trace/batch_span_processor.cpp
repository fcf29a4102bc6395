// The batch span processor: a bounded multi-producer queue (Vyukov's array queue: each slot
// has a sequence number that says whose turn it is) and one export thread.
//
// The spans sit in one array, apart from the sequence numbers, so that a run of ready slots is
// a contiguous std::span<const span_data>: the exporter reads the spans where on_end moved
// them, and a span is moved once on its way out (before, twice: into the queue, then into a
// batch vector). A batch never wraps around the end of the array. The slots of a batch stay
// the export thread's until the exporter returns; then they are handed back.
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <exception>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

struct batch_span_processor::state {
  explicit state(std::shared_ptr<span_exporter> e, batch_span_processor_options o)
      : exporter(std::move(e)), options(clamped(o)), slots(options.max_queue_size + options.max_export_batch_size) {
    sequences = std::make_unique<std::atomic<std::uint64_t>[]>(slots.size());
    for (std::size_t i = 0; i < slots.size(); ++i) sequences[i].store(i, std::memory_order_relaxed);
  }

  static batch_span_processor_options clamped(batch_span_processor_options o) noexcept {
    o.max_queue_size = std::max<std::size_t>(o.max_queue_size, 1);
    o.max_export_batch_size = std::clamp<std::size_t>(o.max_export_batch_size, 1, o.max_queue_size);
    return o;
  }

  std::shared_ptr<span_exporter> exporter;
  batch_span_processor_options options;
  // Slot i is a producer's to fill when sequences[i] == pos (the position it claimed in this
  // lap), and the export thread's when sequences[i] == pos + 1; the export thread hands it
  // back for the next lap by storing pos + capacity. There are max_queue_size slots for the
  // waiting spans and max_export_batch_size more for the batch being exported, so that, as in
  // OpenTelemetry's processors, spans being exported do not count against the queue: a span
  // is dropped when max_queue_size spans are waiting (enqueue_pos - taken_pos).
  std::vector<span_data> slots;
  std::unique_ptr<std::atomic<std::uint64_t>[]> sequences;

  alignas(64) std::atomic<std::uint64_t> enqueue_pos{0};
  // Written by the export thread only: the end of the batch it has taken (being exported),
  // and the end of the spans whose slots it has handed back (dequeue_pos <= taken_pos).
  alignas(64) std::atomic<std::uint64_t> taken_pos{0};
  std::atomic<std::uint64_t> dequeue_pos{0};
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
    const std::uint64_t capacity = slots.size();
    std::uint64_t pos = enqueue_pos.load(std::memory_order_relaxed);
    while (true) {
      const std::uint64_t seq = sequences[pos % capacity].load(std::memory_order_acquire);
      const auto diff = static_cast<std::int64_t>(seq - pos);
      if (pos - taken_pos.load(std::memory_order_relaxed) >= options.max_queue_size) return false;  // full
      if (diff == 0) {
        if (enqueue_pos.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) break;
      } else if (diff < 0) {
        return false;  // the slot is still being exported (cannot happen while the check above holds)
      } else {
        pos = enqueue_pos.load(std::memory_order_relaxed);
      }
    }
    slots[pos % capacity] = std::move(span);
    sequences[pos % capacity].store(pos + 1, std::memory_order_release);
    // Wake the exporter once a batch is waiting (once per batch, not once per span).
    if (pos + 1 - taken_pos.load(std::memory_order_relaxed) >= options.max_export_batch_size &&
        !wake_requested.exchange(true, std::memory_order_relaxed)) {
      std::lock_guard lock(mutex);
      wake.notify_one();
    }
    return true;
  }

  // Export thread only: how many spans are ready from dequeue_pos, at most `max` and not past
  // the end of the array.
  std::size_t ready(std::size_t max) const noexcept {
    const std::uint64_t capacity = slots.size();
    const std::uint64_t pos = dequeue_pos.load(std::memory_order_relaxed);
    const auto limit = static_cast<std::size_t>(std::min<std::uint64_t>(max, capacity - pos % capacity));
    std::size_t n = 0;
    while (n < limit && sequences[(pos + n) % capacity].load(std::memory_order_acquire) == pos + n + 1) ++n;
    return n;
  }

  // Export thread only: hands the first n ready slots back to the producers. The spans stay
  // in them until a producer moves a new span in, so that what a span owns is freed by the
  // thread that allocated it, where malloc's per-thread cache takes it back cheaply (freeing
  // here cost ~100 ns a span: bench/trace_bench span_start_end_2attrs_batch). The memory kept
  // is at most max_queue_size spans, what a full queue holds anyway.
  void release(std::size_t n) noexcept {
    const std::uint64_t capacity = slots.size();
    const std::uint64_t pos = dequeue_pos.load(std::memory_order_relaxed);
    for (std::size_t i = 0; i < n; ++i)
      sequences[(pos + i) % capacity].store(pos + i + capacity, std::memory_order_release);
    dequeue_pos.store(pos + n, std::memory_order_relaxed);
  }

  bool export_batch(std::span<const span_data> batch) {
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
    return ok;
  }

  // Exports everything that is ready; false if an export failed.
  bool drain() {
    bool ok = true;
    while (true) {
      const std::size_t n = ready(options.max_export_batch_size);
      if (n == 0) return ok;
      const std::uint64_t pos = dequeue_pos.load(std::memory_order_relaxed);
      const std::size_t first = pos % slots.size();
      taken_pos.store(pos + n, std::memory_order_relaxed);
      ok = export_batch(std::span<const span_data>(slots.data() + first, n)) && ok;
      release(n);
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
      const bool ok = drain();
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
