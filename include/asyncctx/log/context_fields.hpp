// The log fields carried in the current context: child-logger semantics on an
// asyncctx::variable.
//
// log::with(fields, fn) runs fn with `fields` added to the context's fields; everything fn
// starts (tasks, pool work, Asio handlers, promise reactions) inherits them, on any thread,
// and they never reach the caller or work started beside fn. log::with_scope(fields) does the
// same until the returned scope ends. An inner key overrides the outer value and keeps the
// outer position (the order of first appearance).
// Thread-safety: as asyncctx::variable: every function may be called from any thread.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/fields.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/variable.hpp>

#include <initializer_list>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

// The variable that holds the context's fields (name "asyncctx.log.fields"). Binding it
// directly replaces the fields instead of adding to them; with() and with_scope() add.
ASYNCCTX_API const variable<fields>& fields_variable();

// The fields of the current context (empty outside any with()). The pointer is valid while
// the current context is; nullptr when no field was ever added in this context.
inline const fields* current_fields() noexcept { return fields_variable().get(); }

// The current fields merged with `added` (added overrides).
inline fields merged_with_current(const fields& added) {
  const fields* now = current_fields();
  if (now == nullptr) return added;
  fields out = *now;
  out.merge(added);
  return out;
}

// Calls fn() with `added` in the context's fields and returns what fn returns.
template <class F>
std::invoke_result_t<F> with(const fields& added, F&& fn) {
  return fields_variable().run(merged_with_current(added), std::forward<F>(fn));
}
template <class F>
std::invoke_result_t<F> with(std::initializer_list<field> added, F&& fn) {
  return with(fields(added), std::forward<F>(fn));
}

// Adds `added` to the context's fields until the returned scope ends (LIFO, see scope.hpp).
[[nodiscard]] inline scope with_scope(const fields& added) { return fields_variable().set(merged_with_current(added)); }
[[nodiscard]] inline scope with_scope(std::initializer_list<field> added) { return with_scope(fields(added)); }

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
