// The cost of the handler-tracking hook on the hottest Asio path, one `post` hop (a handler
// that posts the next one from inside the loop), and on a full reactor turn, one zero-length
// `steady_timer` hop, each against plain Boost.Asio, in one process.
//
// The post hops run in three modules built from asio_bench_module.cpp (see there): hooked,
// plain and a second plain build as an A/A control; the timer hops in two modules built from
// asio_bench_timer_module.cpp, hooked and plain. This driver loads them and measures them
// side by side; run it with --benchmark_enable_random_interleaving=true and repetitions so
// that all see the same machine. bench/asio_ratio.sh does that and prints the ratios
// (target: hooked / plain <= 1.10; the control's ratio shows the method's own error).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <numeric>
#include <random>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <dlfcn.h>

namespace {

constexpr std::int64_t kHops = 10000;

using hops_fn = std::int64_t (*)(void*, std::int64_t);

struct module {
  void* (*create)() = nullptr;
  void (*destroy)(void*) = nullptr;
  hops_fn post_hops = nullptr;             // post-hop modules
  hops_fn post_hops_in_context = nullptr;  // hooked post-hop module only
  hops_fn post_hops_request = nullptr;     // hooked post-hop module only
  hops_fn timer_hops = nullptr;            // timer-hop modules
  hops_fn timer_hops_request = nullptr;    // hooked timer-hop module only

  explicit module(const char* path) {
    void* handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (handle == nullptr) fail(path, dlerror());
    create = reinterpret_cast<void* (*)()>(dlsym(handle, "asio_bench_create"));
    destroy = reinterpret_cast<void (*)(void*)>(dlsym(handle, "asio_bench_destroy"));
    post_hops = reinterpret_cast<hops_fn>(dlsym(handle, "asio_bench_post_hops"));
    post_hops_in_context = reinterpret_cast<hops_fn>(dlsym(handle, "asio_bench_post_hops_in_context"));
    post_hops_request = reinterpret_cast<hops_fn>(dlsym(handle, "asio_bench_post_hops_request"));
    timer_hops = reinterpret_cast<hops_fn>(dlsym(handle, "asio_bench_timer_hops"));
    timer_hops_request = reinterpret_cast<hops_fn>(dlsym(handle, "asio_bench_timer_hops_request"));
    if (create == nullptr || destroy == nullptr || (post_hops == nullptr && timer_hops == nullptr)) {
      fail(path, "missing entry points");
    }
  }

  [[noreturn]] static void fail(const char* path, const char* why) {
    std::fprintf(stderr, "asio_bench: cannot use %s: %s\n", path, why);
    std::exit(1);
  }
};

const module& hooked() {
  static const module m(ASIO_BENCH_HOOKED_MODULE);
  return m;
}
const module& plain() {
  static const module m(ASIO_BENCH_PLAIN_MODULE);
  return m;
}
const module& control() {
  static const module m(ASIO_BENCH_CONTROL_MODULE);
  return m;
}
const module& timer_hooked() {
  static const module m(ASIO_BENCH_TIMER_HOOKED_MODULE);
  return m;
}
const module& timer_plain() {
  static const module m(ASIO_BENCH_TIMER_PLAIN_MODULE);
  return m;
}

void run(benchmark::State& state, const module& m, hops_fn hops, std::int64_t count = kHops) {
  void* ioc = m.create();
  for (auto _ : state) benchmark::DoNotOptimize(hops(ioc, count));
  m.destroy(ioc);
  state.SetItemsProcessed(state.iterations() * count);
}

// Plain Boost.Asio, no tracking.
void BM_PostHop_Plain(benchmark::State& state) { run(state, plain(), plain().post_hops); }
BENCHMARK(BM_PostHop_Plain);

// The same plain build, loaded as a separate module: any ratio but 1 is the method's error.
void BM_PostHop_PlainControl(benchmark::State& state) { run(state, control(), control().post_hops); }
BENCHMARK(BM_PostHop_PlainControl);

// With the hook; the handlers run in the empty context.
void BM_PostHop_EmptyContext(benchmark::State& state) { run(state, hooked(), hooked().post_hops); }
BENCHMARK(BM_PostHop_EmptyContext);

// With the hook; the handlers run in a context holding a value.
void BM_PostHop_WithContext(benchmark::State& state) {
  if (hooked().post_hops_in_context == nullptr) module::fail(ASIO_BENCH_HOOKED_MODULE, "no in-context entry point");
  run(state, hooked(), hooked().post_hops_in_context);
}
BENCHMARK(BM_PostHop_WithContext);

// A zero-length steady_timer hop (a reactor turn): plain Boost.Asio, and with the hook carrying a
// request's context on a thread in the empty context (compare_bench's timer_hop).
constexpr std::int64_t kTimerHops = 100;
void BM_TimerHop_Plain(benchmark::State& state) { run(state, timer_plain(), timer_plain().timer_hops, kTimerHops); }
BENCHMARK(BM_TimerHop_Plain);
void BM_TimerHop_RequestContext(benchmark::State& state) {
  if (timer_hooked().timer_hops_request == nullptr) {
    module::fail(ASIO_BENCH_TIMER_HOOKED_MODULE, "no request-context entry point");
  }
  run(state, timer_hooked(), timer_hooked().timer_hops_request, kTimerHops);
}
BENCHMARK(BM_TimerHop_RequestContext);

struct paired_variant {
  const char* key;
  const char* name;
  const module* m;
  hops_fn fn;
  void* ioc = nullptr;
  std::vector<double> ns_per_hop = {};
};

// Runs `rounds` rounds of one group of variants (each once per round, in a shuffled order).
void measure_group(std::vector<paired_variant>& group, std::int64_t hops, int rounds, std::mt19937& rng,
                   const char* module_path) {
  for (const paired_variant& v : group) {
    if (v.fn == nullptr) module::fail(module_path, "missing an in-context entry point");
  }
  for (paired_variant& v : group) {
    v.ioc = v.m->create();
    for (int i = 0; i < 20; ++i) benchmark::DoNotOptimize(v.fn(v.ioc, hops));  // warm up
    v.ns_per_hop.reserve(static_cast<std::size_t>(rounds));
  }
  std::vector<std::size_t> order(group.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  for (int r = 0; r < rounds; ++r) {
    std::shuffle(order.begin(), order.end(), rng);
    for (std::size_t i : order) {
      paired_variant& v = group[i];
      const auto t0 = std::chrono::steady_clock::now();
      benchmark::DoNotOptimize(v.fn(v.ioc, hops));
      const auto t1 = std::chrono::steady_clock::now();
      v.ns_per_hop.push_back(std::chrono::duration<double, std::nano>(t1 - t0).count() / static_cast<double>(hops));
    }
  }
  for (paired_variant& v : group) v.m->destroy(v.ioc);
}

// --paired[=ROUNDS] [--json]: instead of Google Benchmark's runs, ROUNDS rounds (default 2000) in
// each of which every post-hop variant runs one chain of 20,000 hops, in a shuffled order; then
// as many rounds of the timer-hop variants (200 hops a chain). The ratio to the plain-Asio
// variant of the same hop is taken within each round and the median over rounds is reported.
// Pairs milliseconds apart see the same machine, so this cancels the drifts of a noisy machine
// that separate runs (or repetitions seconds apart) do not.
int run_paired(int rounds, bool json) {
  constexpr std::int64_t post_hops = 20000;
  constexpr std::int64_t timer_hops = 200;
  std::mt19937 rng(12345);
  // The post hops first, exactly as before the timer hop existed; the timer modules are loaded
  // only afterwards, so nothing of theirs (their loading, their warm-up, a timer chain's system
  // calls between two post chains) can touch the post measurement.
  std::vector<paired_variant> post = {
      {"plain", "plain Boost.Asio", &plain(), plain().post_hops},
      {"control", "plain again (A/A control)", &control(), control().post_hops},
      {"empty", "hook, empty context", &hooked(), hooked().post_hops},
      {"value", "hook, value bound", &hooked(), hooked().post_hops_in_context},
      {"request", "hook, request context", &hooked(), hooked().post_hops_request},
  };
  measure_group(post, post_hops, rounds, rng, ASIO_BENCH_HOOKED_MODULE);
  std::vector<paired_variant> timer = {
      {"timer_plain", "plain Boost.Asio", &timer_plain(), timer_plain().timer_hops},
      {"timer_request", "hook, request context", &timer_hooked(), timer_hooked().timer_hops_request},
  };
  measure_group(timer, timer_hops, rounds, rng, ASIO_BENCH_TIMER_HOOKED_MODULE);

  auto median = [](std::vector<double> x) {
    std::sort(x.begin(), x.end());
    return x[x.size() / 2];
  };
  if (json) {
    std::printf("{\"rounds\": %d, \"hops_per_round\": %lld, \"timer_hops_per_round\": %lld, \"variants\": [", rounds,
                static_cast<long long>(post_hops), static_cast<long long>(timer_hops));
  }
  bool first = true;
  for (const auto& [hop, hops, group] :
       {std::tuple("post", post_hops, &post), std::tuple("timer", timer_hops, &timer)}) {
    const paired_variant& base = group->front();  // plain Asio
    if (!json) {
      const std::string title = std::string(hop) + " hop";
      std::printf("%s%-33s %12s %22s\n", first ? "" : "\n", title.c_str(), "median ns", "median ratio to plain");
    }
    for (const paired_variant& v : *group) {
      std::vector<double> ratio(base.ns_per_hop.size());
      for (std::size_t r = 0; r < ratio.size(); ++r) ratio[r] = v.ns_per_hop[r] / base.ns_per_hop[r];
      if (json) {
        std::printf(
            "%s{\"hop\": \"%s\", \"key\": \"%s\", \"name\": \"%s\", \"base\": \"%s\", \"hops_per_round\": %lld, "
            "\"median_ns\": %.4f, \"median_ratio\": %.4f}",
            first ? "" : ", ", hop, v.key, v.name, base.key, static_cast<long long>(hops), median(v.ns_per_hop),
            median(ratio));
      } else {
        std::printf("%-33s %12.2f %22.3f\n", v.name, median(v.ns_per_hop), median(ratio));
      }
      first = false;
    }
  }
  if (json) {
    std::printf("]}\n");
  } else {
    std::printf(
        "(%d rounds of %lld post hops per variant, then %d rounds of %lld timer hops, each round in a shuffled\n"
        "order, one process; each ratio is to the plain-Asio chain of the same hop in the same round)\n",
        rounds, static_cast<long long>(post_hops), rounds, static_cast<long long>(timer_hops));
  }
  return 0;
}

// --hops=VARIANT --count=N: N hops of one variant and nothing else, for counting instructions
// per hop (bench/instructions_per_hop.sh). Post hops: plain, empty, value, request; timer hops:
// timer_plain, timer_request.
int run_hops(std::string_view which, long long count) {
  const module* m = nullptr;
  hops_fn fn = nullptr;
  if (which == "plain") {
    m = &plain();
    fn = m->post_hops;
  } else if (which == "empty") {
    m = &hooked();
    fn = m->post_hops;
  } else if (which == "value") {
    m = &hooked();
    fn = m->post_hops_in_context;
  } else if (which == "request") {
    m = &hooked();
    fn = m->post_hops_request;
  } else if (which == "timer_plain") {
    m = &timer_plain();
    fn = m->timer_hops;
  } else if (which == "timer_request") {
    m = &timer_hooked();
    fn = m->timer_hops_request;
  }
  if (fn == nullptr) {
    std::fprintf(stderr, "asio_bench: --hops takes plain, empty, value, request, timer_plain or timer_request\n");
    return 2;
  }
  void* ioc = m->create();
  constexpr std::int64_t chunk = 10000;
  for (long long done = 0; done < count; done += chunk) benchmark::DoNotOptimize(fn(ioc, chunk));
  m->destroy(ioc);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  int paired_rounds = 0;
  bool json = false;
  std::string_view hops;
  long long count = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg.starts_with("--hops=")) hops = arg.substr(7);
    if (arg.starts_with("--count=")) count = std::atoll(argv[i] + 8);
    if (arg == "--paired") paired_rounds = 2000;
    if (arg.starts_with("--paired=")) paired_rounds = std::max(1, std::atoi(argv[i] + 9));
    if (arg == "--json") json = true;
  }
  if (!hops.empty()) return run_hops(hops, count);
  if (paired_rounds > 0) return run_paired(paired_rounds, json);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
