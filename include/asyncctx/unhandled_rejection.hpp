// Reporting of unhandled rejections (Node's 'unhandledRejection' event).
//
// A future's shared state that was rejected and is destroyed without anything having
// observed the rejection (then/catch_/finally registered on it, co_await, get(), or a
// combinator it was given to) is an unhandled rejection. JavaScript reports it at the next
// microtask checkpoint; without a global loop, asyncctx reports it when the last reference
// to the state goes, which is the first moment nobody can handle it any more.
//
// The handler runs on the thread that drops that last reference, in the context that was
// current when the future was REJECTED (captured by reject()), so a logger sees the request
// that failed, not whoever happened to release the future. An exception thrown by the
// handler is caught and printed to stderr; the context is restored either way.
// Thread-safety: set_unhandled_rejection_handler may be called from any thread; a handler
// may run on several threads at once.
#pragma once

#include <asyncctx/detail/report_error.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <cstdio>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace asyncctx {

using unhandled_rejection_handler = std::function<void(std::exception_ptr)>;

namespace detail {

struct unhandled_rejection_registry {
  std::mutex mutex;
  std::shared_ptr<const unhandled_rejection_handler> handler;  // null = the default
};

inline unhandled_rejection_registry& the_unhandled_rejection_registry() {
  static unhandled_rejection_registry r;  // NOLINT: process-wide by design
  return r;
}

// Calls the handler in `owned_context` (a reference handed over), then restores the caller's.
inline void report_unhandled_rejection(const std::exception_ptr& error, frame* owned_context) noexcept {
  context_swap guard(owned_context);
  std::shared_ptr<const unhandled_rejection_handler> handler;
  try {
    auto& r = the_unhandled_rejection_registry();
    std::lock_guard lock(r.mutex);
    handler = r.handler;
  } catch (...) {
    // A mutex that cannot be locked: fall back to the default report.
  }
  deliver_error(handler ? *handler : unhandled_rejection_handler{}, error, "unhandled rejection");
}

}  // namespace detail

// Installs `handler` for the whole process and returns the previous one (empty = the
// default, which prints the error to stderr). An empty handler restores the default.
inline unhandled_rejection_handler set_unhandled_rejection_handler(unhandled_rejection_handler handler) {
  auto next = handler ? std::make_shared<const unhandled_rejection_handler>(std::move(handler)) : nullptr;
  auto& r = detail::the_unhandled_rejection_registry();
  std::shared_ptr<const unhandled_rejection_handler> previous;
  {
    std::lock_guard lock(r.mutex);
    previous = std::exchange(r.handler, std::move(next));
  }
  return previous ? *previous : unhandled_rejection_handler{};
}

}  // namespace asyncctx
