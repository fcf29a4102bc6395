// asyncctx::async_var<T>: a named variable of the current async_scope (async_scope.hpp), the
// AsyncVar of the "AsyncScope / AsyncVar over AsyncLocalStorage" pattern.
//
//   asyncctx::async_var<user_t> user("User");
//   asyncctx::async_scope::run([] {
//     user.set(authenticate());   // in the innermost scope
//     user.get();                 // here, and in every task / pool job / handler started here
//   });
//
// Rules:
//   * set(v) writes the innermost scope; an inner scope's value hides the outer ones' while
//     the inner scope is current, and is gone with it;
//   * get() returns (a copy of) the value of the innermost scope that has one, else throws
//     async_var_not_set naming the variable; exists() says whether get() would find one;
//   * outside any scope, set, get and exists throw no_scope; in a disposed scope, scope_disposed;
//   * the name must not be empty (std::invalid_argument), so every error can name the variable.
// Unlike variable<T> (whose bindings are immutable), an async_var is mutable state shared by
// everything in its scope: a value set inside a task, a pool job or a handler is seen by
// everything that runs later in the same scope, on any thread.
//
// Ordering: each scope's values are guarded by a shared mutex. A set happens-before every get
// (and exists) that returns its value or a later one, on any thread, and the value is fully
// constructed for it; sets of one scope are totally ordered, the last one wins. Work that is
// ordered after a set (started after it, or joined through a future, a task's co_await, a
// posted handler) therefore sees it. A get racing with a set returns the old or the new value,
// never a torn one.
// Thread-safety: every member may be called from any thread at once.
#pragma once

#include <asyncctx/async_scope.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/scope_node.hpp>

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// Thrown by async_var::get when no scope of the current chain has the variable set.
class async_var_not_set : public std::logic_error {
 public:
  explicit async_var_not_set(const std::string& name)
      : std::logic_error("asyncctx::async_var \"" + name + "\" is not set in this scope or an enclosing one"),
        name_(name) {}
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
};

namespace detail {
// The current scope, or no_scope / scope_disposed naming `what` (src/async_scope.cpp).
ASYNCCTX_API scope_node* require_open_scope(std::string_view what);
}  // namespace detail

template <class T>
class async_var {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T>,
                "asyncctx::async_var<T> needs a non-const object type");
  static_assert(std::is_copy_constructible_v<T>, "asyncctx::async_var<T>: get() returns a copy");
  // Values are destroyed when their scope is disposed, where no caller can catch.
  static_assert(std::is_nothrow_destructible_v<T>, "asyncctx::async_var<T>: T's destructor must not throw");

 public:
  // Throws std::invalid_argument when `name` is empty.
  explicit async_var(std::string name) : key_(detail::new_key()), name_(std::move(name)) {
    if (name_.empty()) throw std::invalid_argument("asyncctx::async_var: the name must not be empty");
  }
  async_var(const async_var&) = delete;
  async_var& operator=(const async_var&) = delete;

  std::string_view name() const noexcept { return name_; }

  // Sets the value in the innermost scope.
  void set(T value) const {
    detail::scope_node* n = detail::require_open_scope(name_);
    detail::set_scope_value(n, key_, std::make_shared<T>(std::move(value)));
  }

  // A copy of the value of the innermost scope that has one.
  T get() const {
    detail::scope_node* n = detail::require_open_scope(name_);
    std::shared_ptr<void> v = detail::find_scope_value(n, key_);
    if (v == nullptr) throw async_var_not_set(name_);
    return *static_cast<const T*>(v.get());
  }

  // Whether get() would find a value (in this scope or an enclosing one).
  bool exists() const { return detail::find_scope_value(detail::require_open_scope(name_), key_) != nullptr; }

 private:
  std::uint64_t key_;
  std::string name_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
