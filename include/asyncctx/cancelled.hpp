// asyncctx::cancelled_error, the exception of a cancelled context, and the causes asyncctx gives a
// cancellation (cancellation.hpp).
//
// A cause is a std::error_code: one of cancel_errc below (category "asyncctx.cancel"), or any
// code the caller passes to cancel_handle::cancel(cause). `cancelled_error` is a
// std::system_error whose code() is that cause, so `catch (const std::system_error&)` sees it
// too. (It is not called `cancelled`: that is the query asyncctx::cancelled(), and a class and a
// function of one name in one namespace leave the class nameable only as `class cancelled`.)
// Thread-safety: immutable values.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <system_error>
#include <type_traits>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

enum class cancel_errc {
  cancelled = 1,          // cancel_handle::cancel() without a cause: cancelled by the caller
  deadline_exceeded = 2,  // the context's deadline passed
  client_gone = 3,        // the HTTP client disconnected before its response was written
};

// The category of cancel_errc ("asyncctx.cancel").
ASYNCCTX_API const std::error_category& cancel_category() noexcept;

inline std::error_code make_error_code(cancel_errc e) noexcept { return {static_cast<int>(e), cancel_category()}; }

// Thrown by throw_if_cancelled() and co_await cancellation_point() in a cancelled context, and
// held by the future of a thread_pool job skipped because its context was cancelled.
class ASYNCCTX_API cancelled_error : public std::system_error {
 public:
  explicit cancelled_error(std::error_code cause) : std::system_error(cause, "asyncctx: cancelled") {}
  // Why the context was cancelled (the same as code()).
  std::error_code cause() const noexcept { return code(); }
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx

template <>
struct std::is_error_code_enum<asyncctx::cancel_errc> : std::true_type {};
