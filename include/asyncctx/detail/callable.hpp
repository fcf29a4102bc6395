// Checks shared by everything that stores a callable for later (wrap, bind, executors).
#pragma once

#include <asyncctx/detail/config.hpp>

#include <concepts>
#include <stdexcept>
#include <string>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// Callables that can be empty (std::function, function pointers, move-only functions)
// compare equal to nullptr; wrapping an empty one is an error found now, not at call time.
template <class F>
void require_callable(const F& f, const char* who) {
  if constexpr (requires {
                  { f == nullptr } -> std::convertible_to<bool>;
                }) {
    if (f == nullptr) throw std::invalid_argument(std::string(who) + ": empty callable");
  }
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
