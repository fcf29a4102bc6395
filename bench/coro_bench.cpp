// Propagation per co_await of a ready child task, with 0/1/10/100 active variables,
// against a context-free twin task type built only here (the same promise layout, result
// storage and symmetric transfer, minus the context and async-id bookkeeping).
//
// The twin allocates its coroutine frames exactly as asyncctx::task does, through the
// per-thread block cache (detail::allocate_block / free_block): the ratio measures the
// context, not the allocator.
//
// Targets: asyncctx::task flat over the variable count (max/min <= 1.2) and
// <= 2.0x the twin (a task keeps its per-task async ids and hooks on every hop).
// Run: coro_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <asyncctx/detail/block_allocator.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <benchmark/benchmark.h>

#include <coroutine>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <memory>
#include <optional>
#include <string_view>
#include <utility>
#include <vector>

namespace twin {

// The context-free twin of asyncctx::task<T>.
template <class T>
class task {
 public:
  struct promise_type {
    std::coroutine_handle<> continuation;
    std::exception_ptr error;
    std::optional<T> value;

    // The same frame allocator as asyncctx::task (see the file comment).
    static void* operator new(std::size_t size) {
      return asyncctx::detail::allocate_block(size, __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    }
    static void operator delete(void* p, std::size_t size) noexcept {
      asyncctx::detail::free_block(p, size, __STDCPP_DEFAULT_NEW_ALIGNMENT__);
    }

    task get_return_object() noexcept { return task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    std::suspend_always initial_suspend() noexcept { return {}; }
    auto final_suspend() noexcept {
      struct awaiter {
        bool await_ready() const noexcept { return false; }
        std::coroutine_handle<> await_suspend(std::coroutine_handle<promise_type> h) noexcept {
          auto c = h.promise().continuation;
          return c ? c : std::noop_coroutine();
        }
        void await_resume() const noexcept {}
      };
      return awaiter{};
    }
    void unhandled_exception() noexcept { error = std::current_exception(); }
    void return_value(T v) noexcept { value.emplace(std::move(v)); }
  };

  explicit task(std::coroutine_handle<promise_type> h) noexcept : coro_(h) {}
  task(task&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  ~task() {
    if (coro_) coro_.destroy();
  }

  auto operator co_await() && noexcept {
    struct awaiter {
      std::coroutine_handle<promise_type> coro;
      bool await_ready() const noexcept { return coro.done(); }
      std::coroutine_handle<> await_suspend(std::coroutine_handle<> c) noexcept {
        coro.promise().continuation = c;
        return coro;
      }
      T await_resume() {
        if (coro.promise().error) std::rethrow_exception(coro.promise().error);
        return std::move(*coro.promise().value);
      }
    };
    return awaiter{coro_};
  }

  void run() {  // drive a task that never really suspends
    coro_.resume();
  }

 private:
  std::coroutine_handle<promise_type> coro_;
};

}  // namespace twin

namespace {

ASYNCCTX_NOINLINE asyncctx::task<int> ctx_child() { co_return 1; }
ASYNCCTX_NOINLINE twin::task<int> twin_child() { co_return 1; }

asyncctx::task<int> ctx_loop(benchmark::State& state) {
  int sum = 0;
  for (auto _ : state) {
    sum += co_await ctx_child();
  }
  co_return sum;
}

twin::task<int> twin_loop(benchmark::State& state) {
  int sum = 0;
  for (auto _ : state) {
    sum += co_await twin_child();
  }
  co_return sum;
}

// Binds `n` distinct variables (scopes stay in force until the vector is destroyed).
struct bound_variables {
  explicit bound_variables(int n) {
    for (int i = 0; i < n; ++i) {
      vars.push_back(std::make_unique<asyncctx::variable<int>>());
      scopes.push_back(vars.back()->set(i));
    }
  }
  ~bound_variables() {
    while (!scopes.empty()) scopes.pop_back();  // LIFO
  }
  std::vector<std::unique_ptr<asyncctx::variable<int>>> vars;
  std::vector<asyncctx::scope> scopes;
};

void BM_task_child_hop(benchmark::State& state) {
  bound_variables vars(static_cast<int>(state.range(0)));
  benchmark::DoNotOptimize(asyncctx::sync_wait(ctx_loop(state)));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_task_child_hop)->Arg(0)->Arg(1)->Arg(10)->Arg(100);

void BM_twin_child_hop(benchmark::State& state) {
  auto t = twin_loop(state);
  t.run();
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_twin_child_hop);

// --hops=task|twin --count=N: N hops of that loop and nothing else (one variable bound for
// the task), for counting instructions per hop (bench/instructions_per_hop.sh).
asyncctx::task<int> ctx_loop_n(long n) {
  int sum = 0;
  for (long i = 0; i < n; ++i) sum += co_await ctx_child();
  co_return sum;
}

twin::task<int> twin_loop_n(long n, int* out) {
  int sum = 0;
  for (long i = 0; i < n; ++i) sum += co_await twin_child();
  *out = sum;
  co_return sum;
}

int run_hops(std::string_view which, long n) {
  int sum = 0;
  if (which == "task") {
    bound_variables vars(1);
    sum = asyncctx::sync_wait(ctx_loop_n(n));
  } else if (which == "twin") {
    auto t = twin_loop_n(n, &sum);
    t.run();
  } else {
    std::fprintf(stderr, "coro_bench: --hops takes task or twin\n");
    return 2;
  }
  benchmark::DoNotOptimize(sum);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::string_view hops;
  long count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--hops=")) hops = arg.substr(7);
    if (arg.starts_with("--count=")) count = std::atol(argv[i] + 8);
  }
  if (!hops.empty()) return run_hops(hops, count);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
