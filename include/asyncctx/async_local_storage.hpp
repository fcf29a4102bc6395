// asyncctx::async_local_storage<T>: Node.js AsyncLocalStorage.
//
// A store is a shared, mutable object: get_store() returns a pointer to it, and a change
// made through that pointer is seen by every context that holds the store (as in Node,
// where the store is an object reference). run()/enter_with() bind a store in a new
// context; exit() runs with no store; disable() makes every existing binding invisible.
//
// get_store() costs one thread-local load and one hash probe: no allocation, no lock and no
// read-modify-write (the key is read with a relaxed load, a plain move on every target).
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/snapshot.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {

// Every store box starts with the pointer get_store() returns, whatever owns the store.
template <class T>
struct store_box : value_box {
  T* store = nullptr;
};

// A store given by value lives in the frame's own block: run(T) is one allocation.
template <class T>
struct inline_store_box final : store_box<T> {
  explicit inline_store_box(T&& v) : value(std::move(v)) { this->store = &value; }
  T value;
};

// A store given as a shared_ptr stays shared with the caller.
template <class T>
struct shared_store_box final : store_box<T> {
  explicit shared_store_box(std::shared_ptr<T>&& p) : owner(std::move(p)) { this->store = owner.get(); }
  std::shared_ptr<T> owner;
};

}  // namespace detail

template <class T>
class async_local_storage {
  static_assert(std::is_object_v<T> && !std::is_const_v<T>, "the store type must be a non-const object type");
  // Stores are destroyed when the last context holding them is released, where no caller can
  // catch an exception (see variable.hpp).
  static_assert(std::is_nothrow_destructible_v<T>,
                "asyncctx::async_local_storage<T>: T's destructor must not throw (stores are destroyed "
                "where no caller can catch)");

 public:
  // Every member has a default, so a designated initializer may name any subset of them
  // (`{.name = "request_id"}`) without -Wmissing-field-initializers complaining.
  struct options {
    std::string name = {};
    std::optional<T> default_value = {};
  };

  async_local_storage() : async_local_storage(options{}) {}
  explicit async_local_storage(options opts)
      : key_(detail::new_key()),
        name_(std::move(opts.name)),
        default_(opts.default_value ? std::make_shared<T>(std::move(*opts.default_value)) : nullptr) {}

  async_local_storage(const async_local_storage&) = delete;
  async_local_storage& operator=(const async_local_storage&) = delete;

  std::string_view name() const noexcept { return name_; }

  // The store of the current context; the default store when none was bound (or after
  // disable()); nullptr inside exit() and when there is neither.
  ASYNCCTX_ALWAYS_INLINE T* get_store() const noexcept {
    if (const detail::entry* e = detail::find_current(key_.load(std::memory_order_relaxed))) [[likely]] {
      return e->box != nullptr ? static_cast<detail::store_box<T>*>(e->box)->store : nullptr;
    }
    return default_.get();
  }

  // Calls f(args...) with `store` as the store, then restores the previous context.
  template <class F, class... A>
  decltype(auto) run(T store, F&& f, A&&... args) {
    detail::context_swap guard(bind_value(std::move(store)));
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }
  template <class F, class... A>
  decltype(auto) run(std::shared_ptr<T> store, F&& f, A&&... args) {
    detail::context_swap guard(bind_shared(std::move(store)));
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  // Makes `store` the store of the current context from now on: for the rest of the
  // enclosing run, task or thread-pool task (and what they start later), or, at top level,
  // for the rest of the thread. Unlike Node, it never leaks into a caller's context.
  void enter_with(T store) { detail::replace_current(bind_value(std::move(store))); }
  void enter_with(std::shared_ptr<T> store) { detail::replace_current(bind_shared(std::move(store))); }

  // Calls f(args...) with no store (get_store() == nullptr inside, even with a default).
  template <class F, class... A>
  decltype(auto) exit(F&& f, A&&... args) {
    const std::uint64_t key = key_.load(std::memory_order_relaxed);
    detail::context_swap guard(detail::frame_with_box(detail::current_frame(), key, nullptr));
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  // Binds `store` until the returned scope ends (a scoped enter_with).
  [[nodiscard]] scope with_scope(T store) { return detail::scope_access::install(bind_value(std::move(store))); }
  [[nodiscard]] scope with_scope(std::shared_ptr<T> store) {
    return detail::scope_access::install(bind_shared(std::move(store)));
  }

  // As if this storage had never been given a store: get_store() returns the default (or
  // nullptr) in the current context and in every context captured before, until the next
  // run/enter_with. Stores bound before stay owned (invisibly) by the contexts that hold
  // them and are destroyed with them; the current thread's context drops its one now.
  void disable() noexcept {
    const std::uint64_t old = key_.exchange(detail::new_key(), std::memory_order_relaxed);
    const detail::frame* cur = detail::current_frame();
    if (cur == nullptr || cur->find(old) == nullptr) return;
    try {
      detail::replace_current(detail::frame_without(cur, old));
    } catch (...) {
      // Out of memory: the binding is invisible already (its key is retired); it is only
      // freed later, with the context.
    }
  }

  // Node's AsyncLocalStorage.bind(fn): fn bound to the current context.
  template <class F>
  static auto bind(F&& f) {
    return asyncctx::snapshot::wrap(std::forward<F>(f));
  }

  // Node's AsyncLocalStorage.snapshot(): the current context, to run callbacks in later.
  static asyncctx::snapshot snapshot() noexcept { return asyncctx::snapshot{}; }

 private:
  detail::frame* bind_value(T&& store) const {
    return detail::frame_with_inline_box<detail::inline_store_box<T>>(
        detail::current_frame(), key_.load(std::memory_order_relaxed), std::move(store));
  }
  detail::frame* bind_shared(std::shared_ptr<T>&& store) const {
    return detail::frame_with_inline_box<detail::shared_store_box<T>>(
        detail::current_frame(), key_.load(std::memory_order_relaxed), std::move(store));
  }

  std::atomic<std::uint64_t> key_;
  std::string name_;
  std::shared_ptr<T> default_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
