// Microbenchmarks of the core. bench/core_ratios.py runs this binary once
// and checks the target ratios between these shapes, so their names are part of that
// script's contract:
//   raw_tls_read                 a constinit thread_local pointer read: the physical floor
//   get                          variable::get, 1 variable bound
//   get_nested/N                 get of the first of N nested runs of 100 distinct variables
//   run                          variable::run(value, empty callback), 1 variable bound
//   make_shared_int              std::make_shared<int> + release: the baseline for run
//   snapshot_capture_run/N       snapshot capture + run(empty callback), N variables bound
//   set_restore                  variable::set + scope::restore
//   pool_hop/no_context          thread_pool post + wait for completion, empty context
//   pool_hop/with_context        the same with a variable bound at the post
//   async_resource/hooks_off     async_resource construction + destruction, no hook
//   async_resource/hooks_on      the same with one enabled hook whose callbacks are all empty
//
// No work may be optimised away. The pointer-read shapes (raw_tls_read, get, get_nested)
// hand their pointer to consume_pointer() below, all with the very same loop shape; the
// other shapes use benchmark::DoNotOptimize / ClobberMemory.
//
// Why not benchmark::DoNotOptimize for the pointer reads: with GCC 12, Google Benchmark
// 1.7.1's DoNotOptimize uses the constraints "r,m" / "+m,r", and GCC satisfies the "m"
// alternative with the thread_local's own %fs-relative address: the load disappears and
// raw_tls_read measures an empty loop (checked in the disassembly: `sub $1,%rax; jne`). A
// register-only input ("r") makes the value itself exist once per iteration; the "memory"
// clobber makes the thread_local (external linkage, as asyncctx's t_current) be read again
// in every iteration, so neither loop can hoist its loads.
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>

#include <atomic>
#include <cstddef>
#include <deque>
#include <memory>
#include <vector>

// Declared as asyncctx::detail::t_current is: constinit (no TLS wrapper call), initial-exec
// access from the executable.
namespace asyncctx_bench {
constinit thread_local void* t_raw = nullptr;
}  // namespace asyncctx_bench

namespace {

using asyncctx_bench::t_raw;

ASYNCCTX_ALWAYS_INLINE void consume_pointer(const void* p) { asm volatile("" : : "r"(p) : "memory"); }

void raw_tls_read(benchmark::State& state) {
  int target = 1;
  t_raw = &target;
  for (auto _ : state) {
    consume_pointer(t_raw);
  }
  t_raw = nullptr;
}
BENCHMARK(raw_tls_read);

void get(benchmark::State& state) {
  asyncctx::variable<int> v;
  v.run(1, [&] {
    for (auto _ : state) {
      consume_pointer(v.get());
    }
  });
}
BENCHMARK(get);

// Runs `body` inside nested runs of vars[0..n).
template <class Body>
void nest(const std::deque<asyncctx::variable<int>>& vars, std::size_t i, std::size_t n, Body& body) {
  if (i == n) {
    body();
    return;
  }
  vars[i].run(static_cast<int>(i), [&] { nest(vars, i + 1, n, body); });
}

void get_nested(benchmark::State& state) {
  const std::deque<asyncctx::variable<int>> vars(100);  // 100 distinct variables
  const auto n = static_cast<std::size_t>(state.range(0));
  auto body = [&] {
    const asyncctx::variable<int>& first = vars.front();
    for (auto _ : state) {
      consume_pointer(first.get());
    }
  };
  nest(vars, 0, n, body);
}
BENCHMARK(get_nested)->Arg(1)->Arg(10)->Arg(100);

void run(benchmark::State& state) {
  asyncctx::variable<int> v;
  int i = 0;
  for (auto _ : state) {
    v.run(i++, [] {});
    benchmark::ClobberMemory();
  }
}
BENCHMARK(run);

void make_shared_int(benchmark::State& state) {
  int i = 0;
  for (auto _ : state) {
    auto p = std::make_shared<int>(i++);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(make_shared_int);

void snapshot_capture_run(benchmark::State& state) {
  const std::deque<asyncctx::variable<int>> vars(100);
  const auto n = static_cast<std::size_t>(state.range(0));
  auto body = [&] {
    for (auto _ : state) {
      asyncctx::snapshot s;
      s.run([] {});
      benchmark::ClobberMemory();
    }
  };
  nest(vars, 0, n, body);
}
BENCHMARK(snapshot_capture_run)->Arg(1)->Arg(10)->Arg(100);

void set_restore(benchmark::State& state) {
  asyncctx::variable<int> v;
  int i = 0;
  for (auto _ : state) {
    auto s = v.set(i++);
    s.restore();
    benchmark::ClobberMemory();
  }
}
BENCHMARK(set_restore);

// One post and a wait for the task to finish, on a one-worker pool (the worker parks on the
// pool's condition variable between tasks, as in real use).
void pool_hop(benchmark::State& state, bool with_context) {
  asyncctx::thread_pool pool(1);
  asyncctx::variable<int> v;
  std::atomic<bool> done{false};
  auto loop = [&] {
    for (auto _ : state) {
      done.store(false, std::memory_order_relaxed);
      pool.post([&done] {
        done.store(true, std::memory_order_release);
        done.notify_one();
      });
      done.wait(false, std::memory_order_acquire);
    }
  };
  if (with_context) {
    v.run(1, loop);
  } else {
    loop();
  }
  pool.wait_idle();
}
BENCHMARK_CAPTURE(pool_hop, no_context, false)->UseRealTime();
BENCHMARK_CAPTURE(pool_hop, with_context, true)->UseRealTime();

void async_resource_create(benchmark::State& state, bool hooks_on) {
  asyncctx::async_hook hook;
  if (hooks_on) {
    hook = asyncctx::create_hook(asyncctx::hook_callbacks{});
    hook.enable();
  }
  for (auto _ : state) {
    asyncctx::async_resource r("BENCH");
    benchmark::DoNotOptimize(r.async_id());
  }
}
BENCHMARK_CAPTURE(async_resource_create, hooks_off, false)->Name("async_resource/hooks_off");
BENCHMARK_CAPTURE(async_resource_create, hooks_on, true)->Name("async_resource/hooks_on");

}  // namespace

BENCHMARK_MAIN();
