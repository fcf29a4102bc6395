// Cost of a `then` hop (capture the registration context, run the callback in it, settle the
// next future) with 0/1/10/100 variables bound — must be flat, since a capture is one
// reference whatever the number of variables — and of emit() to 10 listeners.
#include <asyncctx/event_emitter.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>

#include <memory>
#include <vector>

namespace {

// Binds `n` variables in the current context for the lifetime of the object.
class bound_variables {
 public:
  explicit bound_variables(int n) {
    for (int i = 0; i < n; ++i) {
      vars_.push_back(std::make_unique<asyncctx::variable<int>>());
      scopes_.push_back(vars_.back()->set(i));
    }
  }
  ~bound_variables() {
    while (!scopes_.empty()) scopes_.pop_back();  // LIFO
  }

 private:
  std::vector<std::unique_ptr<asyncctx::variable<int>>> vars_;
  std::vector<asyncctx::scope> scopes_;
};

// promise -> then(cb) -> resolve: one registration (capture), one reaction (install, call,
// settle the then-future, restore), two shared states.
void BM_ThenHop(benchmark::State& state) {
  bound_variables vars(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    asyncctx::promise<int> p;
    auto f = p.get_future().then([](int v) { return v + 1; });
    p.resolve(1);
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_ThenHop)->Arg(0)->Arg(1)->Arg(10)->Arg(100);

// then() on an already settled future: the settled fast path (the callback runs at once).
void BM_ThenOnSettled(benchmark::State& state) {
  bound_variables vars(static_cast<int>(state.range(0)));
  auto ready = asyncctx::make_resolved_future(1);
  for (auto _ : state) {
    auto f = ready.then([](int v) { return v + 1; });
    benchmark::DoNotOptimize(f);
  }
}
BENCHMARK(BM_ThenOnSettled)->Arg(0)->Arg(1)->Arg(10)->Arg(100);

// A chain of 100 thens settled at once: per-hop cost inside the reaction queue.
void BM_ThenChain100(benchmark::State& state) {
  bound_variables vars(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    asyncctx::promise<int> p;
    asyncctx::future<int> f = p.get_future();
    for (int i = 0; i < 100; ++i) f = f.then([](int v) { return v + 1; });
    p.resolve(0);
    benchmark::DoNotOptimize(f);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK(BM_ThenChain100)->Arg(0)->Arg(100);

void BM_Emit10Listeners(benchmark::State& state) {
  bound_variables vars(static_cast<int>(state.range(0)));
  asyncctx::event_emitter<int> e;
  long sum = 0;
  for (int i = 0; i < 10; ++i) e.on([&sum](int v) { sum += v; });
  for (auto _ : state) {
    e.emit(1);
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_Emit10Listeners)->Arg(0)->Arg(100);

void BM_Emit10ListenersAsyncResource(benchmark::State& state) {
  asyncctx::event_emitter<int> e(asyncctx::as_async_resource);
  long sum = 0;
  for (int i = 0; i < 10; ++i) e.on([&sum](int v) { sum += v; });
  for (auto _ : state) {
    e.emit(1);
  }
  benchmark::DoNotOptimize(sum);
}
BENCHMARK(BM_Emit10ListenersAsyncResource);

}  // namespace

BENCHMARK_MAIN();
