// asyncctx::trace benchmarks (Google Benchmark; never a timed test).
//   span_start_end_2attrs_batch    start + end a span with 2 attributes into a batch processor
//                                  whose exporter drops everything (the shape of the Node
//                                  comparison in bench/compare/trace_compare);
//   span_start_end_2attrs_sampled_off / _noop_tracer   the same code with tracing off: the
//                                  sampler drops the span, or there is no provider at all;
//   span_start_end_2attrs_no_span  the same loop with no tracing code (the floor);
//   traceparent_tracestate_extract_inject   extract traceparent + tracestate from a request's
//                                  headers and inject them into an outgoing one;
//   control_string_55              one 55-character heap string made and freed (the load gauge).
// Counters: `dropped` is the share of spans the batch queue could not take (it must stay 0 for
// the time to mean "cost of a recorded span"). The batch case reports the CPU time of the
// whole process (the export thread included).
#include <asyncctx/trace/batch_span_processor.hpp>
#include <asyncctx/trace/propagation.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <benchmark/benchmark.h>

#include <array>
#include <memory>
#include <string>
#include <string_view>

namespace {

namespace trace = asyncctx::trace;

class null_exporter final : public trace::span_exporter {
 public:
  result export_spans(std::span<const trace::span_data> batch) override {
    benchmark::DoNotOptimize(batch.data());
    return result::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }
};

void start_end_two_attributes(benchmark::State& state, const trace::tracer& t) {
  std::int64_t i = 0;
  for (auto _ : state) {
    trace::span s = t.start_span("op");
    s.set_attribute("a", i++);
    s.set_attribute("b", "x");
    s.end();
  }
}

// Every 512 spans the loop lets the export catch up (force_flush), as the Node side yields to
// its event loop every 512 spans: the queue never overflows, so every span is exported, and
// the process CPU time (both threads) is the whole cost of a span, export included.
void span_start_end_2attrs_batch(benchmark::State& state) {
  auto processor = std::make_shared<trace::batch_span_processor>(std::make_shared<null_exporter>());
  trace::tracer_provider provider({.processors = {processor}});
  const trace::tracer t = provider.tracer("bench");
  std::int64_t i = 0;
  for (auto _ : state) {
    trace::span s = t.start_span("op");
    s.set_attribute("a", i);
    s.set_attribute("b", "x");
    s.end();
    if ((++i & 511) == 0) processor->force_flush(std::chrono::seconds(10));
  }
  provider.force_flush();
  state.counters["dropped"] =
      benchmark::Counter(static_cast<double>(processor->dropped()) / static_cast<double>(state.iterations()));
}
BENCHMARK(span_start_end_2attrs_batch)->MeasureProcessCPUTime();

void span_start_end_2attrs_sampled_off(benchmark::State& state) {
  auto processor = std::make_shared<trace::batch_span_processor>(std::make_shared<null_exporter>());
  trace::tracer_provider provider({.span_sampler = trace::always_off_sampler(), .processors = {processor}});
  start_end_two_attributes(state, provider.tracer("bench"));
}
BENCHMARK(span_start_end_2attrs_sampled_off);

void span_start_end_2attrs_noop_tracer(benchmark::State& state) { start_end_two_attributes(state, trace::tracer()); }
BENCHMARK(span_start_end_2attrs_noop_tracer);

void span_start_end_2attrs_no_span(benchmark::State& state) {
  std::int64_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(i++);
    benchmark::ClobberMemory();
  }
}
BENCHMARK(span_start_end_2attrs_no_span);

// A request's headers as a server sees them, and an outgoing request's headers.
struct incoming {
  std::array<std::string_view, 1> traceparent{"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"};
  std::array<std::string_view, 1> tracestate{"rojo=00f067aa0ba902b7,congo=t61rcWkgMzE"};
  std::span<const std::string_view> get_all(std::string_view name) const {
    if (name == "traceparent") return traceparent;
    if (name == "tracestate") return tracestate;
    return {};
  }
};
struct outgoing {
  std::string traceparent, tracestate;
  void set(std::string_view name, std::string_view value) {
    (name == "traceparent" ? traceparent : tracestate).assign(value);
  }
};

void traceparent_tracestate_extract_inject(benchmark::State& state) {
  const incoming in;
  outgoing out;
  out.traceparent.reserve(64);
  out.tracestate.reserve(128);
  for (auto _ : state) {
    const trace::extracted_context x = trace::extract(in, trace::trace_context_format);
    trace::inject(*x.parent, nullptr, out, trace::trace_context_format);
    benchmark::DoNotOptimize(out.traceparent.data());
    benchmark::DoNotOptimize(out.tracestate.data());
  }
}
BENCHMARK(traceparent_tracestate_extract_inject);

// The control: one heap string of a traceparent's length made and freed. It tells how loaded
// the machine is (a few ns on an idle one) when the numbers above look slow.
void control_string_55(benchmark::State& state) {
  const std::string_view tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  for (auto _ : state) {
    std::string s(tp);
    benchmark::DoNotOptimize(s.data());
  }
}
BENCHMARK(control_string_55);

}  // namespace

BENCHMARK_MAIN();
