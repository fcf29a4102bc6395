// Microbenchmarks of dependency scopes (async_scope, async_var, service_registry):
//   resolve_scoped_existing      resolve<T>() of a scoped service already built in the scope
//   resolve_singleton_existing   resolve<T>() of a singleton already built
//   async_var_get                async_var<int>::get() set in the current scope
//   scope_open_close/0           async_scope::run(registry, empty function): open + dispose
//   scope_open_close/3           the same, resolving 3 scoped services inside (built, then
//                                disposed when the scope ends): a request's scope
// docs/benchmarks.md compares scope_open_close/3 with the CPU time of a minimal http_server
// request.
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/service_registry.hpp>

#include <benchmark/benchmark.h>

#include <string>

namespace {

struct auth_client {
  int token = 1;
};
struct database {
  int handle = 2;
};
struct current_user {
  int id = 3;
};

asyncctx::service_registry make_registry() {
  asyncctx::service_registry services;
  services.add_singleton<auth_client>([] { return auth_client{}; });
  services.add_scoped<database>([] { return database{}; });
  services.add_scoped<current_user>([](auth_client&) { return current_user{}; });
  services.add_scoped<std::string>([] { return std::string(); });
  return services;
}

void resolve_scoped_existing(benchmark::State& state) {
  const asyncctx::service_registry services = make_registry();
  asyncctx::async_scope::run(services, [&] {
    (void)asyncctx::resolve<database>();
    for (auto _ : state) {
      benchmark::DoNotOptimize(&asyncctx::resolve<database>());
    }
  });
}
BENCHMARK(resolve_scoped_existing);

void resolve_singleton_existing(benchmark::State& state) {
  const asyncctx::service_registry services = make_registry();
  asyncctx::async_scope::run(services, [&] {
    (void)asyncctx::resolve<auth_client>();
    for (auto _ : state) {
      benchmark::DoNotOptimize(&asyncctx::resolve<auth_client>());
    }
  });
}
BENCHMARK(resolve_singleton_existing);

void async_var_get(benchmark::State& state) {
  const asyncctx::async_var<int> v("bench");
  asyncctx::async_scope::run([&] {
    v.set(1);
    for (auto _ : state) {
      benchmark::DoNotOptimize(v.get());
    }
  });
}
BENCHMARK(async_var_get);

void scope_open_close(benchmark::State& state) {
  const asyncctx::service_registry services = make_registry();
  asyncctx::async_scope::run(services, [] { (void)asyncctx::resolve<auth_client>(); });  // the singleton exists
  const bool with_services = state.range(0) == 3;
  for (auto _ : state) {
    asyncctx::async_scope::run(services, [&] {
      if (with_services) {
        benchmark::DoNotOptimize(&asyncctx::resolve<database>());
        benchmark::DoNotOptimize(&asyncctx::resolve<current_user>());
        benchmark::DoNotOptimize(&asyncctx::resolve<std::string>());
      }
    });
  }
}
BENCHMARK(scope_open_close)->Arg(0)->Arg(3);

}  // namespace

BENCHMARK_MAIN();
