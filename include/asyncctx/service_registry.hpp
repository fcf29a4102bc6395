// asyncctx::service_registry and asyncctx::resolve<T>(): services with singleton, scoped and
// transient lifetimes, resolved from the current async_scope wherever the code runs (a task, a
// pool job, an Asio handler), in the manner of ASP.NET Core's dependency injection.
//
//   asyncctx::service_registry services;
//   services.add_singleton<config>([] { return config::load(); });
//   services.add_scoped<db_session>([](config& c) { return db_session(c.url); });  // deps = parameters
//   services.add_transient<audit_entry>([](db_session& db) { return audit_entry(db); });
//   services.validate();                                   // at start-up (also done by the first scope)
//   asyncctx::async_scope::run(services, [] {
//     db_session& db = asyncctx::resolve<db_session>();   // one per scope
//   });
//
// Factories: a callable whose parameters (each `D&` or `const D&`) are the service's
// dependencies, resolved before it is called, and that returns the service: a T, or a
// std::unique_ptr / std::shared_ptr to T or to a type derived from it (so an interface can be
// registered with an implementation; a T returned by value must be movable). A factory may
// also call resolve<D>() itself; validate() cannot see those dependencies, resolution still
// checks them.
// Lifetimes:
//   * singleton: built once per registry, on first use, in the registry's root scope (which
//     sees no request's async_var and no scoped service); disposed when the registry object and
//     every scope opened with it are gone;
//   * scoped: built once per scope (the innermost one; a nested scope has its own), even when
//     several threads resolve it at once; disposed when the scope ends (async_scope.hpp);
//   * transient: built on every resolve, owned by the scope it was resolved in (the root
//     scope, inside a singleton's factory) and disposed with it.
// Disposal destroys a scope's instances in reverse order of creation, exactly once: an
// optional disposer (`void(T&)`, given at registration) runs first, then the destructor. An
// exception from either goes to the library's error channel (error_kind::scope_disposal); the
// other instances are still disposed.
// Refusals: a singleton that depends on a scoped service, directly or through a chain of
// dependencies, is refused by validate() and by resolution (captive_dependency, naming the
// chain); so is a dependency cycle (dependency_cycle, naming the cycle); an unregistered type
// throws service_not_registered. A factory that throws leaves the scope without the instance
// and its exception propagates to resolve(); a later resolve() tries again.
//
// Ordering: an instance is published with a release store once it is built; a resolve that
// finds it (an acquire load) sees it fully constructed. Threads that resolve a scoped service
// being built wait for it (or, if its factory throws, one of them tries again).
// Thread-safety: add_* and validate() are for start-up, before the first scope opens with the
// registry (add_* throw std::logic_error afterwards). resolve<T>() may be called from any
// thread at once. Destroy the registry after the last scope opened with it was left (its
// singletons go when nothing uses them any more).
#pragma once

#include <asyncctx/async_scope.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/scope_node.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <typeindex>
#include <typeinfo>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// Base of the registry's refusals.
class service_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};
// A type that is not registered (or no registry in the current scope).
class service_not_registered : public service_error {
 public:
  using service_error::service_error;
};
// A singleton that would hold a scoped service; what() names the chain.
class captive_dependency : public service_error {
 public:
  using service_error::service_error;
};
// A service that depends on itself; what() names the cycle.
class dependency_cycle : public service_error {
 public:
  using service_error::service_error;
};

template <class T>
T& resolve();

namespace detail {

// The slow path of resolve: builds, waits, or throws (src/async_scope.cpp).
ASYNCCTX_API void* resolve_service(std::uint32_t type_id, const std::type_info& type);

template <class... A>
struct type_list {};

template <class F>
struct factory_signature : factory_signature<decltype(&F::operator())> {};
template <class R, class... A>
struct factory_signature<R (*)(A...)> {
  using result = R;
  using params = type_list<A...>;
};
template <class R, class... A>
struct factory_signature<R (*)(A...) noexcept> : factory_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct factory_signature<R (C::*)(A...)> : factory_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct factory_signature<R (C::*)(A...) const> : factory_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct factory_signature<R (C::*)(A...) noexcept> : factory_signature<R (*)(A...)> {};
template <class C, class R, class... A>
struct factory_signature<R (C::*)(A...) const noexcept> : factory_signature<R (*)(A...)> {};

template <class P>
struct smart_pointee {
  using type = void;
};
template <class U, class D>
struct smart_pointee<std::unique_ptr<U, D>> {
  using type = U;
};
template <class U>
struct smart_pointee<std::shared_ptr<U>> {
  using type = U;
};

// Wraps what a factory returned into an instance record for service T (owned by the caller).
template <class T, class R>
instance_record* hold_instance(R&& result) {
  using V = std::remove_cvref_t<R>;
  auto* h = new instance_holder<V>(std::in_place, std::forward<R>(result));
  if constexpr (std::is_convertible_v<V*, T*>) {
    h->object = static_cast<T*>(&h->value);
  } else {
    h->object = static_cast<T*>(h->value.get());
    if (h->object == nullptr) {
      delete h;
      throw std::logic_error("asyncctx::service_registry: a factory returned a null pointer");
    }
  }
  h->destroy = [](instance_record* r) { delete static_cast<instance_holder<V>*>(r); };
  return h;
}

ASYNCCTX_API std::string demangled_name(const std::type_info& type);

}  // namespace detail

class ASYNCCTX_API service_registry {
 public:
  service_registry();
  service_registry(service_registry&& other) noexcept;
  service_registry& operator=(service_registry&& other) noexcept;
  service_registry(const service_registry&) = delete;
  service_registry& operator=(const service_registry&) = delete;
  ~service_registry();

  // Registers T with `factory` (see the file comment), and optionally a disposer called with
  // the instance before it is destroyed. Throws std::invalid_argument if T is already
  // registered, std::logic_error after the first scope opened with this registry.
  template <class T, class F>
  service_registry& add_singleton(F factory) {
    return add<T>(service_lifetime::singleton, std::move(factory), nullptr);
  }
  template <class T, class F, class D>
  service_registry& add_singleton(F factory, D disposer) {
    return add<T>(service_lifetime::singleton, std::move(factory), std::move(disposer));
  }
  template <class T, class F>
  service_registry& add_scoped(F factory) {
    return add<T>(service_lifetime::scoped, std::move(factory), nullptr);
  }
  template <class T, class F, class D>
  service_registry& add_scoped(F factory, D disposer) {
    return add<T>(service_lifetime::scoped, std::move(factory), std::move(disposer));
  }
  template <class T, class F>
  service_registry& add_transient(F factory) {
    return add<T>(service_lifetime::transient, std::move(factory), nullptr);
  }
  template <class T, class F, class D>
  service_registry& add_transient(F factory, D disposer) {
    return add<T>(service_lifetime::transient, std::move(factory), std::move(disposer));
  }

  // Checks the declared dependencies (factory parameters): every one registered, no cycle
  // (dependency_cycle), no singleton depending on a scoped service directly or through a chain
  // (captive_dependency). Throws the first problem found, naming the chain.
  void validate() const;

 private:
  friend detail::scope_node* detail::registry_root(const service_registry&);

  template <class T, class F, class D>
  service_registry& add(service_lifetime lifetime, F factory, D disposer) {
    static_assert(std::is_object_v<T> && !std::is_const_v<T>, "a service is a non-const object type");
    using signature = detail::factory_signature<F>;
    using R = std::remove_cvref_t<typename signature::result>;
    static_assert(std::is_convertible_v<R*, T*> || std::is_convertible_v<typename detail::smart_pointee<R>::type*, T*>,
                  "a factory returns T, or a unique_ptr / shared_ptr to T or to a type derived from T");
    detail::service_descriptor d{detail::demangled_name(typeid(T)), std::type_index(typeid(T)), lifetime, {}, {}, {}};
    fill<T>(d, std::move(factory), typename signature::params{});
    if constexpr (!std::is_same_v<D, std::nullptr_t>) {
      d.disposer = [dispose = std::move(disposer)](void* object) { dispose(*static_cast<T*>(object)); };
    }
    add_descriptor(detail::service_type_id<T>(), std::move(d));
    return *this;
  }

  template <class T, class F, class... P>
  static void fill(detail::service_descriptor& d, F&& factory, detail::type_list<P...>) {
    static_assert((std::is_lvalue_reference_v<P> && ...),
                  "a factory's parameters are its dependencies, each taken as D& or const D&");
    (d.dependencies.emplace_back(typeid(std::remove_cvref_t<P>)), ...);
    d.factory = [f = std::forward<F>(factory)]() -> detail::instance_record* {
      // Dependencies are resolved left to right (a braced list orders its evaluations).
      return std::apply([&](auto*... deps) { return detail::hold_instance<T>(f(*deps...)); },
                        std::tuple<std::remove_reference_t<P>*...>{&resolve<std::remove_cvref_t<P>>()...});
    };
  }

  void add_descriptor(std::uint32_t type_id, detail::service_descriptor d);

  std::shared_ptr<detail::service_table> table_;
  std::unique_ptr<std::mutex> freeze_mutex_;                // serialises the freeze
  mutable std::atomic<detail::scope_node*> root_{nullptr};  // owned; set once, by the freeze
};

// The service T in the current scope (see the file comment). Throws no_scope outside any
// scope, service_not_registered, captive_dependency, dependency_cycle, scope_disposed, or what
// T's factory threw.
template <class T>
ASYNCCTX_ALWAYS_INLINE T& resolve() {
  if (detail::scope_node* n = detail::current_scope_node()) [[likely]] {
    if (const detail::service_table* table = n->services.get()) [[likely]] {
      const std::uint32_t index = table->find(detail::service_type_id<T>());
      if (index != detail::no_service) [[likely]] {
        // Singletons live in the root scope; scoped instances in this one; a transient never
        // has a slot filled (and neither has a scoped one in the root scope: a captive).
        detail::scope_node* owner = table->services[index].lifetime == service_lifetime::singleton ? n->root : n;
        const std::uintptr_t v = owner->slots[index].load(std::memory_order_acquire);
        if (v > detail::slot_disposed) [[likely]] {
          return *static_cast<T*>(reinterpret_cast<const detail::instance_record*>(v)->object);
        }
      }
    }
  }
  return *static_cast<T*>(detail::resolve_service(detail::service_type_id<T>(), typeid(T)));
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
