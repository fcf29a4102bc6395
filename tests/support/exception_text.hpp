// The message of an exception held in an exception_ptr, for tests that check what was
// reported through a handler: what() of a std::exception, "?" for anything else.
#pragma once

#include <exception>
#include <string>

namespace asyncctx_test {

inline std::string what(const std::exception_ptr& e) {
  try {
    std::rethrow_exception(e);
  } catch (const std::exception& ex) {
    return ex.what();
  } catch (...) {
    return "?";
  }
}

}  // namespace asyncctx_test
