// asyncctx::async_scope: a dependency scope that follows asynchronous code, the AsyncScope of
// the "AsyncScope / AsyncVar over AsyncLocalStorage" pattern, with the scoped-service
// lifetime of ASP.NET Core.
//
//   asyncctx::async_scope::run([] {
//     user.set(authenticate());          // async_var<T> (async_var.hpp)
//     handle();                          // and every task, pool job, handler it starts
//   });
//
// A scope is entered with run(f): f, and everything it starts, runs in the new scope. A scope
// opened inside another one is nested in it: an async_var not set in the inner scope is looked
// up in the outer ones (as a prototype chain), and set() always writes the innermost scope.
// A scope may carry a service_registry (service_registry.hpp): run(registry, f) makes the
// registry's services resolvable inside f; a nested scope inherits its parent's registry.
//
// When a scope ends: when the last thing that can reach it is gone — the run() that opened it
// has returned AND every task, pool job, Asio handler or snapshot that captured a context
// holding it has finished or been destroyed. A spawned task that outlives its request keeps
// the request's scope (its values and scoped services) alive until it ends: work can never see
// a service disposed under it. Then the scope is disposed, exactly once, on the thread that
// let go of it last: its scoped and transient instances are destroyed in reverse order of
// creation, in the context the scope was opened in with the scope itself current (so a
// disposer may still resolve the services created before its own). Work that a disposer
// starts and that outlives the disposal finds the scope disposed: scope_disposed is thrown by
// async_var::set/get and by resolve().
// Keep long-lived background work out of a request's scope (start it from a context captured
// outside, e.g. a snapshot taken at start-up), or it holds the request's services until it
// ends. A scoped service must not capture a context that holds its own scope (a snapshot, a
// wrapped callback): that is a reference cycle and the scope is never disposed.
//
// Thread-safety: run() and active() may be called from any thread; a scope may be used from
// any number of threads at once (see async_var.hpp and service_registry.hpp for the ordering).
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/scope_node.hpp>
#include <asyncctx/variable.hpp>

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class service_registry;

// Thrown by async_var and resolve() outside any async_scope.
class no_scope : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Thrown when a scope is used after its disposal began (by work a disposer started, or a
// disposer resolving a service already disposed).
class scope_disposed : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {
// The context variable that holds the current scope (one per process, defined in src/).
ASYNCCTX_API const variable<scope_ref>& scope_variable() noexcept;

// The innermost scope of the current context, or null.
ASYNCCTX_ALWAYS_INLINE scope_node* current_scope_node() noexcept {
  const scope_ref* r = scope_variable().get();
  return r != nullptr ? r->get() : nullptr;
}

// The service table of `registry`, frozen (and validated) on the first call; and its root.
ASYNCCTX_API scope_node* registry_root(const service_registry& registry);
}  // namespace detail

class async_scope {
 public:
  async_scope() = delete;

  // Calls f(args...) in a new scope nested in the current one (if any), then leaves it; the
  // scope itself ends when nothing can reach it any more (see above). Returns what f returned.
  template <class F, class... A>
  static std::invoke_result_t<F, A...> run(F&& f, A&&... args) {
    detail::scope_node* parent = detail::current_scope_node();
    detail::scope_ref scope = detail::scope_ref::adopt(detail::open_scope_node(parent, nullptr, nullptr));
    return detail::scope_variable().run(std::move(scope), std::forward<F>(f), std::forward<A>(args)...);
  }

  // The same, and the new scope (and every scope nested in it) resolves services from
  // `registry`. The first scope opened with a registry freezes it: it validates it (throwing
  // what service_registry::validate throws) and refuses further registrations.
  template <class F, class... A>
  static std::invoke_result_t<F, A...> run(const service_registry& registry, F&& f, A&&... args) {
    detail::scope_node* root = detail::registry_root(registry);
    detail::scope_node* parent = detail::current_scope_node();
    detail::scope_ref scope = detail::scope_ref::adopt(detail::open_scope_node(parent, &root->services, root));
    return detail::scope_variable().run(std::move(scope), std::forward<F>(f), std::forward<A>(args)...);
  }

  // True inside a scope (a run, or work that captured a context holding one).
  static bool active() noexcept { return detail::current_scope_node() != nullptr; }
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
