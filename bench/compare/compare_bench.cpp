// The asyncctx side of the comparison with Node.js and Python (bench/compare/run).
//
// Each benchmark is named after its shape (get, get_nested/10, await_hop/100, ...), the same
// names that compare_bench.js and compare_bench.py print, and does the same work as their
// version of the shape. What "the same work" means, shape by shape, is in docs/benchmarks.md;
// in short:
//   get            async_local_storage::get_store() inside a run      vs  als.getStore()
//   get_nested/N   get_store() of the first of N nested runs           vs  the same in JS
//   run            async_local_storage::run(store, empty callback)     vs  als.run(store, noop)
//   await_hop/N    co_await of a ready child asyncctx::task, N storages active
//                                                                      vs  await null
//   immediate_hop  asio::post chain, the handler tracking hook restoring the context
//                                                                      vs  setImmediate chain
//   timer_hop      zero steady_timer chain (a full reactor turn; the peers have no such hop and
//                  show their immediate_hop: unlike mechanisms, so asio_bench --paired also
//                  times this hop in plain Asio, and the page gives that ratio)
//   resource/N     async_resource creation (+ destruction), N storages active
//                                                                      vs  new AsyncResource
//   await_self/N   (ours only) co_await that suspends and resumes the task at once: the
//                  context switch of a hop without creating a child task
// The task and Asio shapes are compiled only when their headers exist (__has_include), so
// this file builds before those parts of the library land.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/async_resource.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#if __has_include(<asyncctx/task.hpp>) && __has_include(<asyncctx/sync_wait.hpp>)
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#define ASYNCCTX_COMPARE_TASK 1
#endif

#if defined(ASYNCCTX_COMPARE_ASIO) && __has_include(<boost/asio.hpp>)
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#define ASYNCCTX_COMPARE_HAVE_ASIO 1
#endif

namespace {

// A small store, like the { id } object the JavaScript side binds.
struct store_t {
  std::uint64_t id;
};
using storage = asyncctx::async_local_storage<store_t>;

std::vector<std::unique_ptr<storage>> make_storages(std::size_t n) {
  std::vector<std::unique_ptr<storage>> v;
  v.reserve(n);
  for (std::size_t i = 0; i < n; ++i) v.push_back(std::make_unique<storage>());
  return v;
}

// Calls f() inside nested runs of storages[i..], storage i holding {i}.
template <class F>
void nest(const std::vector<std::unique_ptr<storage>>& storages, std::size_t i, F& f) {
  if (i == storages.size()) {
    f();
    return;
  }
  storages[i]->run(store_t{i}, [&] { nest(storages, i + 1, f); });
}

// get inside a run
void bm_get(benchmark::State& state) {
  storage als;
  als.run(store_t{1}, [&] {
    for (auto _ : state) {
      const store_t* s = als.get_store();
      benchmark::DoNotOptimize(s->id);
    }
  });
}

// get of the first storage of N nested runs
void bm_get_nested(benchmark::State& state) {
  const auto storages = make_storages(static_cast<std::size_t>(state.range(0)));
  const storage& first = *storages.front();
  auto body = [&] {
    for (auto _ : state) {
      const store_t* s = first.get_store();
      benchmark::DoNotOptimize(s->id);
    }
  };
  nest(storages, 0, body);
}

// run with an empty callback, at top level
void bm_run(benchmark::State& state) {
  storage als;
  for (auto _ : state) {
    als.run(store_t{1}, [] { benchmark::ClobberMemory(); });
  }
}

// async-resource creation (it captures the context) and destruction, N storages active
void bm_resource(benchmark::State& state) {
  const auto storages = make_storages(static_cast<std::size_t>(state.range(0)));
  auto body = [&] {
    for (auto _ : state) {
      asyncctx::async_resource r("bench");
      benchmark::DoNotOptimize(r.async_id());
    }
  };
  nest(storages, 0, body);
}

#if defined(ASYNCCTX_COMPARE_TASK)
// A child task that is ready at once: co_await starts it, it completes without suspending,
// and the parent resumes. Every resume installs the task's context and puts the thread's back.
asyncctx::task<std::uint64_t> ready_child(std::uint64_t v) { co_return v + 1; }

asyncctx::task<std::uint64_t> await_loop(benchmark::State& state, const storage* first) {
  std::uint64_t acc = 0;
  for (auto _ : state) {
    acc += co_await ready_child(acc);
  }
  if (first != nullptr && first->get_store() == nullptr) state.SkipWithError("context lost across co_await");
  co_return acc;
}

// one await hop with N storages active
void bm_await_hop(benchmark::State& state) {
  const auto storages = make_storages(static_cast<std::size_t>(state.range(0)));
  const storage* first = storages.empty() ? nullptr : storages.front().get();
  auto body = [&] { benchmark::DoNotOptimize(asyncctx::sync_wait(await_loop(state, first))); };
  nest(storages, 0, body);
}

// Ours only, to split the await hop: a co_await that really suspends the task and resumes it
// at once (symmetric transfer to itself), so only the context switch of the task is paid
// (leave before suspending, enter on resume), with no child task to create.
struct resume_self {
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) const noexcept { return h; }
  void await_resume() const noexcept {}
};

asyncctx::task<std::uint64_t> self_loop(benchmark::State& state, const storage* first) {
  std::uint64_t n = 0;
  for (auto _ : state) {
    co_await resume_self{};
    ++n;
  }
  if (first != nullptr && first->get_store() == nullptr) state.SkipWithError("context lost across co_await");
  co_return n;
}

void bm_await_self(benchmark::State& state) {
  const auto storages = make_storages(static_cast<std::size_t>(state.range(0)));
  const storage* first = storages.empty() ? nullptr : storages.front().get();
  auto body = [&] { benchmark::DoNotOptimize(asyncctx::sync_wait(self_loop(state, first))); };
  nest(storages, 0, body);
}
#endif

#if defined(ASYNCCTX_COMPARE_HAVE_ASIO)
// One hop = one handler posted by the previous one. With asyncctx::asio the handler tracking
// hook captures the context at post() and installs it around the handler, so the check at the
// end fails if the hook is not there.
void bm_immediate_hop(benchmark::State& state) {
  storage als;
  boost::asio::io_context ioc(1);
  bool lost = false;
  als.run(store_t{7}, [&] {
    struct hop {
      benchmark::State* state;
      boost::asio::io_context* ioc;
      storage* als;
      bool* lost;
      void operator()() const {
        const store_t* s = als->get_store();
        if (s == nullptr || s->id != 7) *lost = true;
        if (state->KeepRunning()) boost::asio::post(*ioc, *this);
      }
    };
    boost::asio::post(ioc, hop{&state, &ioc, &als, &lost});
  });
  ioc.run();
  if (lost) state.SkipWithError("context lost across asio::post (asio handler tracking hook pending?)");
}

// One hop = a zero steady_timer wait started by the previous handler: a full reactor turn.
void bm_timer_hop(benchmark::State& state) {
  storage als;
  boost::asio::io_context ioc(1);
  boost::asio::steady_timer timer(ioc);
  bool lost = false;
  struct hop {
    benchmark::State* state;
    boost::asio::steady_timer* timer;
    storage* als;
    bool* lost;
    void operator()(const boost::system::error_code&) const {
      const store_t* s = als->get_store();
      if (s == nullptr || s->id != 7) *lost = true;
      if (state->KeepRunning()) start();
    }
    void start() const {
      timer->expires_after(std::chrono::nanoseconds(0));
      timer->async_wait(*this);
    }
  };
  als.run(store_t{7}, [&] { hop{&state, &timer, &als, &lost}.start(); });
  ioc.run();
  if (lost) state.SkipWithError("context lost across steady_timer (asio handler tracking hook pending?)");
}
#endif

}  // namespace

BENCHMARK(bm_get)->Name("get");
BENCHMARK(bm_get_nested)->Name("get_nested")->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(bm_run)->Name("run");
#if defined(ASYNCCTX_COMPARE_TASK)
BENCHMARK(bm_await_hop)->Name("await_hop")->Arg(0)->Arg(1)->Arg(10)->Arg(100);
BENCHMARK(bm_await_self)->Name("await_self")->Arg(0)->Arg(100);
#endif
#if defined(ASYNCCTX_COMPARE_HAVE_ASIO)
BENCHMARK(bm_immediate_hop)->Name("immediate_hop");
BENCHMARK(bm_timer_hop)->Name("timer_hop");
#endif
BENCHMARK(bm_resource)->Name("resource")->Arg(0)->Arg(1)->Arg(10)->Arg(100);

BENCHMARK_MAIN();
