// asyncctx::broken_promise: the error of a future whose promise was destroyed unsettled.
//
// A JavaScript promise whose resolve function is garbage-collected simply stays pending; in
// C++ the producer's destruction is a definite event, so the future is rejected with this
// error instead of hanging whoever waits for it.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <stdexcept>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class broken_promise : public std::logic_error {
 public:
  broken_promise() : std::logic_error("asyncctx::promise destroyed without being resolved or rejected") {}
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
