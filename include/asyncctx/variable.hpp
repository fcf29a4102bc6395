// asyncctx::variable<T>: TC39 AsyncContext.Variable.
//
// A variable is a key into the current context. get() reads the value bound in the current
// context (else the default, else nullptr): one thread-local load and one hash probe, no
// allocation, no lock, no atomic operation. run() and set() bind a value in a new context
// built from the current one; every context captured before stays as it was.
//
// Values are immutable once bound (get() returns a pointer to const) and shared by all
// contexts derived from the binding; the value is destroyed when the last of them goes.
// Thread-safety: all members are const and safe to call from any thread at once.
#pragma once

#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/scope.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class T>
class variable {
  static_assert(std::is_object_v<T> && !std::is_const_v<T> && !std::is_volatile_v<T>,
                "asyncctx::variable<T> needs a non-const object type");
  // A value is destroyed when the last context holding it is released: at the end of a run,
  // when a scope ends, when a task suspends or ends, at thread exit. None of these has a
  // caller that could catch an exception, so a throwing destructor could only terminate.
  static_assert(std::is_nothrow_destructible_v<T>,
                "asyncctx::variable<T>: T's destructor must not throw (values are destroyed where no "
                "caller can catch)");

 public:
  // Every member has a default, so a designated initializer may name any subset of them
  // (`{.name = "request_id"}`) without -Wmissing-field-initializers complaining.
  struct options {
    std::string name = {};
    std::optional<T> default_value = {};
  };

  variable() : variable(options{}) {}
  explicit variable(options opts)
      : key_(detail::new_key()), name_(std::move(opts.name)), default_(std::move(opts.default_value)) {}

  // A variable is an identity (a key): it is neither copied nor moved.
  variable(const variable&) = delete;
  variable& operator=(const variable&) = delete;

  std::string_view name() const noexcept { return name_; }

  // The value bound in the current context, else the default value, else nullptr. The
  // pointer is valid while the current context is (until the enclosing run/scope ends).
  ASYNCCTX_ALWAYS_INLINE const T* get() const noexcept {
    if (const detail::entry* e = detail::find_current(key_)) [[likely]] {
      return &detail::box_value<T>(e->box);
    }
    return default_ ? &*default_ : nullptr;
  }

  T value_or(T fallback) const {
    if (const T* v = get()) return *v;
    return fallback;
  }

  // Calls f(args...) with `value` bound, then restores the previous context (also when f
  // throws) and returns what f returned.
  template <class F, class... A>
  std::invoke_result_t<F, A...> run(T value, F&& f, A&&... args) const {
    detail::context_swap guard(detail::frame_with_value<T>(detail::current_frame(), key_, std::move(value)));
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  // Binds `value` in the current context until the returned scope ends.
  [[nodiscard]] scope set(T value) const {
    return detail::scope_access::install(detail::frame_with_value<T>(detail::current_frame(), key_, std::move(value)));
  }

 private:
  std::uint64_t key_;
  std::string name_;
  std::optional<T> default_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
