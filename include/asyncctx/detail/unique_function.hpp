// A move-only `void()` callable with a small inline buffer: the task type of thread_pool.
// (std::move_only_function is C++23.) Callables up to `inline_size` bytes that are nothrow
// movable are stored without allocating.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>
#include <new>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

class unique_function;

template <class F>
concept storable_task = !std::is_same_v<std::decay_t<F>, unique_function> && std::is_invocable_v<std::decay_t<F>&>;

class unique_function {
 public:
  static constexpr std::size_t inline_size = 48;

  unique_function() noexcept = default;

  // Implicit, as std::function's: a function wrapper converts from any callable.
  template <storable_task F>
  unique_function(F&& f) {  // NOLINT(bugprone-forwarding-reference-overload): constrained
    using D = std::decay_t<F>;
    // NOLINTNEXTLINE(misc-redundant-expression): true for some D, false for others
    constexpr bool fits = sizeof(D) <= inline_size && alignof(D) <= alignof(std::max_align_t);
    if constexpr (fits && std::is_nothrow_move_constructible_v<D>) {
      ::new (static_cast<void*>(buffer_)) D(std::forward<F>(f));
      ops_ = &inline_ops<D>;
    } else {
      *reinterpret_cast<D**>(buffer_) = new D(std::forward<F>(f));
      ops_ = &heap_ops<D>;
    }
  }

  unique_function(unique_function&& other) noexcept : ops_(std::exchange(other.ops_, nullptr)) {
    if (ops_ != nullptr) ops_->move(other.buffer_, buffer_);
  }
  unique_function& operator=(unique_function&& other) noexcept {
    if (this != &other) {
      reset();
      ops_ = std::exchange(other.ops_, nullptr);
      if (ops_ != nullptr) ops_->move(other.buffer_, buffer_);
    }
    return *this;
  }
  unique_function(const unique_function&) = delete;
  unique_function& operator=(const unique_function&) = delete;
  ~unique_function() { reset(); }

  explicit operator bool() const noexcept { return ops_ != nullptr; }
  void operator()() { ops_->call(buffer_); }

 private:
  struct ops {
    void (*call)(void*);
    void (*move)(void* from, void* to) noexcept;  // leaves `from` destroyed
    void (*destroy)(void*) noexcept;
  };

  template <class D>
  static constexpr ops inline_ops{
      [](void* p) { (*static_cast<D*>(p))(); },
      [](void* from, void* to) noexcept {
        ::new (to) D(std::move(*static_cast<D*>(from)));
        static_cast<D*>(from)->~D();
      },
      [](void* p) noexcept { static_cast<D*>(p)->~D(); },
  };
  template <class D>
  static constexpr ops heap_ops{
      [](void* p) { (**static_cast<D**>(p))(); },
      [](void* from, void* to) noexcept { *static_cast<D**>(to) = *static_cast<D**>(from); },
      [](void* p) noexcept { delete *static_cast<D**>(p); },
  };

  void reset() noexcept {
    if (ops_ != nullptr) std::exchange(ops_, nullptr)->destroy(buffer_);
  }

  alignas(std::max_align_t) unsigned char buffer_[inline_size];
  const ops* ops_ = nullptr;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
