// asyncctx::service_registry and resolve<T>(): lifetimes, once-per-scope construction under
// concurrent resolution, disposal (order, exactly once, errors), the captive-dependency and
// cycle refusals, factories that throw, and use after disposal.
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <barrier>
#include <chrono>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "support/exception_text.hpp"
#include "support/misuse_recorder.hpp"

namespace {

using asyncctx::async_scope;
using asyncctx::resolve;
using asyncctx::service_registry;

// What happened, in order, across threads.
struct journal {
  std::mutex mutex;
  std::vector<std::string> events;
  void add(std::string e) {
    std::lock_guard lock(mutex);
    events.push_back(std::move(e));
  }
  std::vector<std::string> taken() {
    std::lock_guard lock(mutex);
    return events;
  }
};

// A service that writes its construction and destruction to a journal.
struct logged {
  logged(journal& j, std::string n) : log(&j), name(std::move(n)) { log->add("make " + name); }
  logged(logged&& o) noexcept : log(o.log), name(std::move(o.name)) { o.log = nullptr; }
  ~logged() {
    if (log != nullptr) log->add("drop " + name);
  }
  journal* log;
  std::string name;
};

struct config : logged {
  using logged::logged;
};
struct db : logged {
  using logged::logged;
};
struct auth : logged {
  using logged::logged;
};
struct user : logged {
  using logged::logged;
};
struct audit : logged {
  using logged::logged;
};

TEST(ServiceRegistry, ASingletonIsBuiltOncePerRegistry) {
  journal j;
  service_registry services;
  services.add_singleton<config>([&] { return config(j, "config"); });
  config* first = nullptr;
  async_scope::run(services, [&] { first = &resolve<config>(); });
  async_scope::run(services, [&] { EXPECT_EQ(&resolve<config>(), first); });
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make config"}));
}

TEST(ServiceRegistry, AScopedServiceIsBuiltOncePerScope) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  db* a = nullptr;
  async_scope::run(services, [&] {
    a = &resolve<db>();
    EXPECT_EQ(&resolve<db>(), a);
  });
  async_scope::run(services, [&] { EXPECT_EQ(&resolve<db>(), &resolve<db>()); });
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make db", "drop db", "make db", "drop db"}));
}

TEST(ServiceRegistry, ANestedScopeHasItsOwnScopedInstancesAndSharesSingletons) {
  journal j;
  service_registry services;
  services.add_singleton<config>([&] { return config(j, "config"); });
  services.add_scoped<db>([&] { return db(j, "db"); });
  async_scope::run(services, [&] {
    db& outer = resolve<db>();
    config& c = resolve<config>();
    async_scope::run([&] {
      EXPECT_NE(&resolve<db>(), &outer);
      EXPECT_EQ(&resolve<config>(), &c);
    });
  });
}

TEST(ServiceRegistry, ATransientIsBuiltOnEveryResolveAndDisposedWithItsScope) {
  journal j;
  service_registry services;
  int n = 0;
  services.add_transient<audit>([&] { return audit(j, "audit" + std::to_string(++n)); });
  async_scope::run(services, [&] { EXPECT_NE(&resolve<audit>(), &resolve<audit>()); });
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make audit1", "make audit2", "drop audit2", "drop audit1"}));
}

TEST(ServiceRegistry, AFactorysParametersAreResolvedAsItsDependencies) {
  journal j;
  service_registry services;
  services.add_singleton<config>([&] { return config(j, "config"); });
  services.add_scoped<db>([&](const config& c) { return db(j, "db(" + c.name + ")"); });
  services.add_scoped<user>([&](db& d, config& c) { return user(j, "user(" + d.name + "," + c.name + ")"); });
  async_scope::run(services, [&] { EXPECT_EQ(resolve<user>().name, "user(db(config),config)"); });
}

struct greeter {
  virtual ~greeter() = default;
  virtual std::string greet() const = 0;
};
struct english : greeter {
  std::string greet() const override { return "hello"; }
};

TEST(ServiceRegistry, AnInterfaceIsRegisteredWithAnImplementation) {
  service_registry services;
  services.add_scoped<greeter>([] { return std::make_unique<english>(); });
  async_scope::run(services, [&] { EXPECT_EQ(resolve<greeter>().greet(), "hello"); });
}

TEST(ServiceRegistry, ResolveWorksInATaskAndAPoolJobOfTheScope) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  asyncctx::thread_pool pool(2);
  async_scope::run(services, [&] {
    db* here = &resolve<db>();
    EXPECT_EQ(pool.submit([] { return &resolve<db>(); }).get(), here);
    auto in_task = [&]() -> asyncctx::task<db*> {
      co_await asyncctx::schedule_on(pool.get_executor());
      co_return &resolve<db>();
    };
    EXPECT_EQ(asyncctx::sync_wait(in_task()), here);
  });
}

// Label `concurrency`: under ThreadSanitizer, this is also the proof that a thread which finds
// the instance another one built sees it fully constructed.
TEST(ServiceRegistry, AScopedServiceIsBuiltOnceWhenThreeThreadsResolveItAtOnce) {
  struct slow {
    explicit slow(std::atomic<int>& built) : value(42) {
      ++built;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    slow(slow&& o) noexcept : value(o.value) {}
    int value;
  };
  std::atomic<int> built{0};
  service_registry services;
  services.add_scoped<slow>([&] { return std::make_unique<slow>(built); });
  constexpr int scopes = 30;
  for (int s = 0; s < scopes; ++s) {
    async_scope::run(services, [&] {
      std::barrier start(3);
      std::vector<slow*> seen(3);
      std::vector<int> values(3);
      std::vector<std::thread> threads;
      for (int t = 0; t < 3; ++t) {
        threads.emplace_back([&, t, snap = asyncctx::snapshot()] {
          snap.run([&] {
            start.arrive_and_wait();
            seen[t] = &resolve<slow>();
            values[t] = seen[t]->value;
          });
        });
      }
      for (auto& t : threads) t.join();
      EXPECT_EQ(seen[0], seen[1]);
      EXPECT_EQ(seen[1], seen[2]);
      EXPECT_EQ(values, (std::vector<int>{42, 42, 42}));
    });
  }
  EXPECT_EQ(built, scopes);
}

TEST(ServiceRegistry, InstancesAreDisposedInReverseOrderOfCreation) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  services.add_scoped<auth>([&](db&) { return auth(j, "auth"); });
  services.add_scoped<user>([&](auth&) { return user(j, "user"); });
  services.add_transient<audit>([&] { return audit(j, "audit"); });
  async_scope::run(services, [&] {
    (void)resolve<user>();  // builds db, auth, user in that order
    (void)resolve<audit>();
  });
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make db", "make auth", "make user", "make audit", "drop audit",
                                                 "drop user", "drop auth", "drop db"}));
}

TEST(ServiceRegistry, SingletonsAreDisposedWithTheRegistryInReverseOrder) {
  journal j;
  {
    service_registry services;
    services.add_singleton<config>([&] { return config(j, "config"); });
    services.add_singleton<db>([&](config&) { return db(j, "db"); });
    async_scope::run(services, [&] { (void)resolve<db>(); });
    EXPECT_EQ(j.taken().size(), 2U) << "singletons outlive the scope";
  }
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make config", "make db", "drop db", "drop config"}));
}

TEST(ServiceRegistry, EachInstanceIsDisposedExactlyOnceWhenManyThreadsHeldTheScope) {
  std::atomic<int> made{0};
  std::atomic<int> disposed{0};
  std::atomic<int> destroyed{0};
  struct counted {
    std::atomic<int>* destroyed;
    counted(std::atomic<int>* d) : destroyed(d) {}
    counted(counted&& o) noexcept : destroyed(std::exchange(o.destroyed, nullptr)) {}
    ~counted() {
      if (destroyed != nullptr) ++*destroyed;
    }
  };
  service_registry services;
  services.add_scoped<counted>(
      [&] {
        ++made;
        return counted(&destroyed);
      },
      [&](counted&) { ++disposed; });
  asyncctx::thread_pool pool(3);
  for (int s = 0; s < 20; ++s) {
    async_scope::run(services, [&] {
      for (int i = 0; i < 10; ++i) pool.post([] { (void)resolve<counted>(); });
    });
  }
  pool.wait_idle();
  EXPECT_EQ(made, 20);
  EXPECT_EQ(disposed, 20);
  EXPECT_EQ(destroyed, 20);
}

TEST(ServiceRegistry, ADisposersOrDestructorsExceptionGoesToTheErrorChannel) {
  struct throws_on_destroy {
    bool armed = true;
    throws_on_destroy() = default;
    throws_on_destroy(throws_on_destroy&& o) noexcept { o.armed = false; }
    ~throws_on_destroy() noexcept(false) {
      if (armed) throw std::runtime_error("destructor failed");
    }
  };
  struct plain {};
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  services.add_scoped<throws_on_destroy>([] { return throws_on_destroy(); });  // by value: a unique_ptr would terminate
  services.add_scoped<plain>([] { return plain{}; }, [](plain&) { throw std::runtime_error("disposer failed"); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::scope_disposal);
  async_scope::run(services, [&] {
    (void)resolve<db>();
    (void)resolve<throws_on_destroy>();
    (void)resolve<plain>();
  });
  const auto reports = errors.reports();
  ASSERT_EQ(reports.size(), 2U);
  EXPECT_EQ(asyncctx_test::what(reports[0].exception), "disposer failed");
  EXPECT_NE(reports[0].message.find("plain"), std::string::npos) << reports[0].message;
  EXPECT_EQ(asyncctx_test::what(reports[1].exception), "destructor failed");
  EXPECT_NE(reports[1].message.find("throws_on_destroy"), std::string::npos) << reports[1].message;
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make db", "drop db"})) << "the others are still disposed";
}

TEST(ServiceRegistry, ADisposerResolvingAServiceAlreadyDisposedGetsAClearError) {
  journal j;
  std::string error;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); },
                          [&](db&) {
                            try {
                              (void)resolve<auth>();  // built after db, so disposed before it
                            } catch (const asyncctx::scope_disposed& e) {
                              error = e.what();
                            }
                            (void)resolve<db>();  // nor itself: its disposal has begun (reported, see below)
                          });
  services.add_scoped<auth>([&](db&) { return auth(j, "auth"); });
  asyncctx_test::error_recorder errors(asyncctx::error_kind::scope_disposal);
  async_scope::run(services, [&] { (void)resolve<auth>(); });
  EXPECT_NE(error.find("auth"), std::string::npos) << error;
  EXPECT_NE(error.find("disposed"), std::string::npos) << error;
  ASSERT_EQ(errors.reports().size(), 1U) << "resolving a service while it is being disposed is refused too";
}

TEST(ServiceRegistry, ValidateRefusesASingletonThatDependsOnAScopedService) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  services.add_singleton<config>([&](db&) { return config(j, "config"); });
  try {
    services.validate();
    FAIL() << "validate accepted a captive dependency";
  } catch (const asyncctx::captive_dependency& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("singleton (anonymous namespace)::config -> scoped (anonymous namespace)::db"),
              std::string::npos)
        << what;
  }
}

TEST(ServiceRegistry, ValidateRefusesACaptiveDependencyThroughAChain) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  services.add_transient<audit>([&](db&) { return audit(j, "audit"); });
  services.add_singleton<config>([&](audit&) { return config(j, "config"); });
  try {
    services.validate();
    FAIL() << "validate accepted a captive dependency through a transient";
  } catch (const asyncctx::captive_dependency& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("singleton (anonymous namespace)::config -> transient (anonymous namespace)::audit -> "
                        "scoped (anonymous namespace)::db"),
              std::string::npos)
        << what;
  }
  EXPECT_THROW(async_scope::run(services, [] {}), asyncctx::captive_dependency) << "the first scope validates too";
}

TEST(ServiceRegistry, ResolutionRefusesASingletonThatResolvesAScopedServiceItself) {
  journal j;
  service_registry services;
  services.add_scoped<db>([&] { return db(j, "db"); });
  services.add_transient<audit>([&] { return audit(j, "audit " + resolve<db>().name); });
  services.add_singleton<config>([&] { return config(j, "config " + resolve<audit>().name); });
  services.validate();  // the dependencies are hidden in the factories: validate cannot see them
  async_scope::run(services, [&] {
    (void)resolve<db>();  // even when the scoped instance already exists
    try {
      (void)resolve<config>();
      FAIL() << "a singleton captured a scoped service";
    } catch (const asyncctx::captive_dependency& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("singleton (anonymous namespace)::config -> transient (anonymous namespace)::audit -> "
                          "scoped (anonymous namespace)::db"),
                std::string::npos)
          << what;
    }
  });
}

struct cyc_a {};
struct cyc_b {};
struct cyc_c {};

TEST(ServiceRegistry, ValidateRefusesADependencyCycleAndNamesIt) {
  service_registry services;
  services.add_scoped<cyc_a>([](cyc_b&) { return cyc_a{}; });
  services.add_scoped<cyc_b>([](cyc_c&) { return cyc_b{}; });
  services.add_transient<cyc_c>([](cyc_a&) { return cyc_c{}; });
  try {
    services.validate();
    FAIL() << "validate accepted a cycle";
  } catch (const asyncctx::dependency_cycle& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("scoped (anonymous namespace)::cyc_a -> scoped (anonymous namespace)::cyc_b -> transient "
                        "(anonymous namespace)::cyc_c -> scoped (anonymous namespace)::cyc_a"),
              std::string::npos)
        << what;
  }
}

TEST(ServiceRegistry, ResolutionRefusesADependencyCycleAndNamesIt) {
  service_registry services;
  services.add_scoped<cyc_a>([] {
    (void)resolve<cyc_b>();
    return cyc_a{};
  });
  services.add_scoped<cyc_b>([] {
    (void)resolve<cyc_a>();
    return cyc_b{};
  });
  async_scope::run(services, [&] {
    try {
      (void)resolve<cyc_a>();
      FAIL() << "a cycle resolved";
    } catch (const asyncctx::dependency_cycle& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("scoped (anonymous namespace)::cyc_a -> scoped (anonymous namespace)::cyc_b -> scoped "
                          "(anonymous namespace)::cyc_a"),
                std::string::npos)
          << what;
    }
  });
}

TEST(ServiceRegistry, ValidateRefusesAnUnregisteredDependency) {
  service_registry services;
  services.add_scoped<cyc_a>([](cyc_b&) { return cyc_a{}; });
  try {
    services.validate();
    FAIL();
  } catch (const asyncctx::service_not_registered& e) {
    EXPECT_NE(std::string(e.what()).find("cyc_b"), std::string::npos) << e.what();
  }
}

TEST(ServiceRegistry, AFactoryThatThrowsLeavesTheScopeWithoutTheInstanceAndALaterResolveTriesAgain) {
  journal j;
  int attempts = 0;
  service_registry services;
  services.add_scoped<db>([&] {
    if (++attempts == 1) throw std::runtime_error("connection refused");
    return db(j, "db");
  });
  async_scope::run(services, [&] {
    EXPECT_THROW((void)resolve<db>(), std::runtime_error);
    EXPECT_EQ(resolve<db>().name, "db");
    EXPECT_EQ(attempts, 2);
  });
  EXPECT_EQ(j.taken(), (std::vector<std::string>{"make db", "drop db"}));
}

TEST(ServiceRegistry, AThreadWaitingForAFactoryThatThrowsTriesAgainItself) {
  std::atomic<int> attempts{0};
  std::promise<void> entered;
  std::promise<void> fail_now;
  std::shared_future<void> fail = fail_now.get_future().share();
  struct svc {
    int v;
  };
  service_registry services;
  services.add_scoped<svc>([&] {
    if (++attempts == 1) {
      entered.set_value();
      fail.wait();
      throw std::runtime_error("first attempt fails");
    }
    return svc{7};
  });
  asyncctx::thread_pool pool(2);
  async_scope::run(services, [&] {
    auto first = pool.submit([] { return resolve<svc>().v; });
    entered.get_future().wait();
    auto second = pool.submit([] { return resolve<svc>().v; });
    std::this_thread::sleep_for(std::chrono::milliseconds(20));  // let the second one wait
    fail_now.set_value();
    EXPECT_THROW(first.get(), std::runtime_error);
    EXPECT_EQ(second.get(), 7);
  });
  EXPECT_EQ(attempts, 2);
}

TEST(ServiceRegistry, ResolveOutsideAnyScopeThrowsNoScope) { EXPECT_THROW((void)resolve<cyc_a>(), asyncctx::no_scope); }

TEST(ServiceRegistry, ResolveOfAnUnregisteredTypeNamesIt) {
  service_registry services;
  services.add_scoped<cyc_a>([] { return cyc_a{}; });
  async_scope::run(services, [&] {
    try {
      (void)resolve<cyc_b>();
      FAIL();
    } catch (const asyncctx::service_not_registered& e) {
      EXPECT_NE(std::string(e.what()).find("cyc_b"), std::string::npos) << e.what();
    }
  });
  async_scope::run([&] { EXPECT_THROW((void)resolve<cyc_a>(), asyncctx::service_not_registered); });
}

TEST(ServiceRegistry, RegistrationIsRefusedAfterTheFirstScopeAndTwiceForOneType) {
  service_registry services;
  services.add_scoped<cyc_a>([] { return cyc_a{}; });
  EXPECT_THROW(services.add_transient<cyc_a>([] { return cyc_a{}; }), std::invalid_argument);
  async_scope::run(services, [] {});
  EXPECT_THROW(services.add_scoped<cyc_b>([] { return cyc_b{}; }), std::logic_error);
}

}  // namespace
