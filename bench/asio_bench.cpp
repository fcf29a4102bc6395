// The cost of the handler-tracking hook on the hottest Asio path: one `post` hop (a handler
// that posts the next one from inside the loop). Built twice from this one file (ODR: the
// tracking definition must be the same in every translation unit of a program):
//   asio_bench_hooked — links asyncctx::asio (BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
//   asio_bench_plain  — plain Boost.Asio
// bench/asio_ratio.sh runs both and prints hooked / plain.
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>

namespace {

constexpr std::int64_t kHops = 10000;

// Reposts itself until `left` reaches zero: each call is one hop through the scheduler.
struct hop {
  boost::asio::io_context* ioc;
  std::int64_t* left;
  void operator()() const {
    if (--*left > 0) boost::asio::post(*ioc, hop{ioc, left});
  }
};

void run_hops(benchmark::State& state) {
  boost::asio::io_context ioc(1);
  for (auto _ : state) {
    std::int64_t left = kHops;
    boost::asio::post(ioc, hop{&ioc, &left});
    ioc.restart();
    ioc.run();
    benchmark::DoNotOptimize(left);
  }
  state.SetItemsProcessed(state.iterations() * kHops);
}

// The handlers run in the empty context.
void BM_PostHop_EmptyContext(benchmark::State& state) { run_hops(state); }
BENCHMARK(BM_PostHop_EmptyContext);

// The handlers run in a context holding a value (a request id): the realistic case, where the
// hook takes and drops a reference to that context per operation.
asyncctx::variable<std::int64_t> g_request_id;
void BM_PostHop_WithContext(benchmark::State& state) {
  g_request_id.run(42, [&] { run_hops(state); });
}
BENCHMARK(BM_PostHop_WithContext);

}  // namespace

BENCHMARK_MAIN();
