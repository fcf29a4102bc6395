// Benchmarks of deadlines and cancellation in the context (cancellation.hpp). Run once, the
// binary prints its shapes and then the ratios the issue sets, all from this one run:
//   variable_get            variable::get in a cancellable context with one value bound
//   cancelled               asyncctx::cancelled() in the same context
//   variable_run            variable::run(int, empty callback): the price of a context of one's own
//   with_timeout_completes  with_timeout(1 s, empty callback): the work ends before the deadline
// with_timeout_completes also reports mallocs per iteration (operator new calls in this
// binary): its frame and node come from the per-thread block cache, so there is none in the
// steady state.
//
// Targets: cancelled <= 2x variable_get; with_timeout_completes <= 150 ns, no allocation
// beyond the context's own. Times are CPU time of the benchmarking thread.
#include <asyncctx/cancellation.hpp>
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <new>
#include <string>

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using namespace std::chrono_literals;

ASYNCCTX_ALWAYS_INLINE void consume(const void* p) { asm volatile("" : : "r"(p) : "memory"); }
ASYNCCTX_ALWAYS_INLINE void consume(bool b) { asm volatile("" : : "r"(b) : "memory"); }

asyncctx::variable<int>& value() {
  static asyncctx::variable<int> v;
  return v;
}

// Runs the loop inside with_timeout(1h) + one bound value: a request's usual context.
template <class F>
void in_request_context(F&& f) {
  asyncctx::with_timeout(1h, [&] { value().run(42, f); });
}

void variable_get(benchmark::State& state) {
  in_request_context([&] {
    for (auto _ : state) consume(value().get());
  });
}
BENCHMARK(variable_get);

void cancelled(benchmark::State& state) {
  in_request_context([&] {
    for (auto _ : state) consume(asyncctx::cancelled());
  });
}
BENCHMARK(cancelled);

void variable_run(benchmark::State& state) {
  for (auto _ : state) value().run(1, [] { benchmark::ClobberMemory(); });
}
BENCHMARK(variable_run);

void with_timeout_completes(benchmark::State& state) {
  const long before = g_allocations.load();
  for (auto _ : state) asyncctx::with_timeout(1s, [] { benchmark::ClobberMemory(); });
  state.counters["mallocs_per_iter"] =
      benchmark::Counter(static_cast<double>(g_allocations.load() - before) / static_cast<double>(state.iterations()));
}
BENCHMARK(with_timeout_completes);

class collecting_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      ns[r.run_name.function_name] = r.GetAdjustedCPUTime();
    }
  }
  std::map<std::string, double> ns;
};

}  // namespace

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  collecting_reporter reporter;
  benchmark::RunSpecifiedBenchmarks(&reporter);
  auto& t = reporter.ns;
  if (t.count("cancelled") != 0 && t.count("variable_get") != 0) {
    std::printf("cancelled / variable_get = %.2fx (target <= 2x)\n", t["cancelled"] / t["variable_get"]);
  }
  if (t.count("with_timeout_completes") != 0) {
    std::printf("with_timeout_completes = %.1f ns (target <= 150 ns); variable_run = %.1f ns\n",
                t["with_timeout_completes"], t["variable_run"]);
  }
  benchmark::Shutdown();
  return 0;
}
