// Delivery of exceptions that have no caller left to catch them: a hook callback's, a
// detached task's, a posted pool task's, an unhandled rejection. One rule everywhere: the
// user's handler gets the exception; without one, a line on stderr; a handler that throws
// is itself reported on stderr. Never throws.
#pragma once

#include <cstdio>
#include <exception>

namespace asyncctx::detail {

// `what` names the situation in the stderr line, e.g. "exception in an async hook callback".
inline void print_error(const std::exception_ptr& error, const char* what) noexcept {
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "asyncctx: %s: %s\n", what, e.what());
  } catch (...) {
    std::fprintf(stderr, "asyncctx: %s (not a std::exception)\n", what);
  }
}

// `handler` is anything testable as bool and callable with the exception (std::function).
template <class Handler>
void deliver_error(const Handler& handler, const std::exception_ptr& error, const char* what) noexcept {
  try {
    if (handler) {
      handler(error);
    } else {
      print_error(error, what);
    }
  } catch (...) {
    std::fprintf(stderr, "asyncctx: the handler for \"%s\" threw; ignored\n", what);
  }
}

}  // namespace asyncctx::detail
