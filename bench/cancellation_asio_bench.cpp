// An Asio `post` hop in a cancellable context against the same hop in a plain context, both
// with the handler-tracking hook and one value bound (asio_post_hops.hpp: a chain of hops on
// one io_context). Run once, the binary prints both and their ratio (target <= 1.15x):
//   post_hop/plain        the chain started in a context with one value bound
//   post_hop/cancellable  the same inside with_timeout(1h): the context also carries a deadline
// A post creates no cancellation slot: the hop pays only for the larger context.
// Times are CPU time per hop of the benchmarking thread (the chain runs on it).
#include <asyncctx/cancellation.hpp>
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "asio_post_hops.hpp"

namespace {

using namespace std::chrono_literals;
constexpr std::int64_t hops_per_chain = 10'000;

asyncctx::variable<int>& value() {
  static asyncctx::variable<int> v;
  return v;
}

void run_chains(benchmark::State& state) {
  boost::asio::io_context ioc;
  for (auto _ : state) benchmark::DoNotOptimize(asio_bench::run_post_hops(ioc, hops_per_chain));
  state.SetItemsProcessed(state.iterations() * hops_per_chain);
}

void post_hop_plain(benchmark::State& state) {
  value().run(1, [&] { run_chains(state); });
}
BENCHMARK(post_hop_plain)->Name("post_hop/plain");

void post_hop_cancellable(benchmark::State& state) {
  asyncctx::with_timeout(1h, [&] { value().run(1, [&] { run_chains(state); }); });
}
BENCHMARK(post_hop_cancellable)->Name("post_hop/cancellable");

class collecting_reporter : public benchmark::ConsoleReporter {
 public:
  void ReportRuns(const std::vector<Run>& runs) override {
    ConsoleReporter::ReportRuns(runs);
    for (const Run& r : runs) {
      if (r.run_type == Run::RT_Aggregate && r.aggregate_name != "median") continue;
      ns[r.run_name.function_name] = r.GetAdjustedCPUTime() / hops_per_chain;
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
  if (t.count("post_hop/plain") != 0 && t.count("post_hop/cancellable") != 0) {
    std::printf("post hop: plain %.2f ns, cancellable %.2f ns, ratio %.3fx (target <= 1.15x)\n", t["post_hop/plain"],
                t["post_hop/cancellable"], t["post_hop/cancellable"] / t["post_hop/plain"]);
  }
  benchmark::Shutdown();
  return 0;
}
