// asyncctx::aggregate_error: JavaScript's AggregateError, the rejection of any() when every
// input was rejected (or when it was given no input at all).
//
// Thread-safety: immutable after construction.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <exception>
#include <stdexcept>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class aggregate_error : public std::runtime_error {
 public:
  explicit aggregate_error(std::vector<std::exception_ptr> errors)
      : std::runtime_error("asyncctx::aggregate_error: all futures were rejected"), errors_(std::move(errors)) {}

  // The rejection reasons, in the order of the inputs.
  const std::vector<std::exception_ptr>& errors() const noexcept { return errors_; }

 private:
  std::vector<std::exception_ptr> errors_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
