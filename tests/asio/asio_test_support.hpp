// The variable the Asio tests bind, and the two helpers they share. No Asio include here:
// asio_explicit_test must build without the handler-tracking definition.
#pragma once

#include <asyncctx/variable.hpp>

#include <utility>

namespace asio_test {

inline asyncctx::variable<int> g_var;

// The value bound in the current context, -1 when none.
inline int current() { return g_var.value_or(-1); }

// Runs `f` with g_var bound to `v` (so an operation started inside captures v).
template <class F>
decltype(auto) in_context(int v, F&& f) {
  return g_var.run(v, std::forward<F>(f));
}

}  // namespace asio_test
