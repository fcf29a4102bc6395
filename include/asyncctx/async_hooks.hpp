// async_hooks: the lifecycle of asynchronous resources (Node's async_hooks), for APM tools.
//
// Every asynchronous resource (async_resource, and later tasks, promises, emitters, Asio
// operations) gets an id. While its callback runs, execution_async_id() is that id and
// trigger_async_id() the id of the resource that created it. Hooks observe init / before /
// after / destroy / promise_resolve.
//
// Hook callbacks run synchronously on the thread of the event, in the event's context.
// Rules, chosen so a faulty tool can never corrupt the application's context:
//   * a change a callback makes to the current context (enter_with, a scope it leaks) is
//     undone when the callback returns;
//   * an exception thrown by a callback is caught, the context is restored, and the
//     exception goes to the library's error channel (error_handler.hpp, kind
//     hook_callback; by default a line on stderr); the event, the other hooks and the
//     application carry on.
// Thread-safety: create_hook, enable and disable may be called from any thread. disable()
// (and the destructor) returns only when no callback of that hook is running on another
// thread, and none starts afterwards, so a callback never outlives what it captured.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/hook_events.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {
struct hook_state;
}  // namespace detail

// The id of the resource whose callback is running on this thread; 1 at top level.
inline async_id execution_async_id() noexcept { return detail::execution_state::here().execution_id(); }
// The id of the resource that created the running one; 0 at top level.
inline async_id trigger_async_id() noexcept { return detail::execution_state::here().trigger_id(); }

// Any member may be empty; each has a default, so a designated initializer may name any
// subset (`{.init = ...}`) without -Wmissing-field-initializers complaining.
struct hook_callbacks {
  std::function<void(async_id id, std::string_view type, async_id trigger, const void* resource)> init = {};
  std::function<void(async_id)> before = {};
  std::function<void(async_id)> after = {};
  std::function<void(async_id)> destroy = {};
  std::function<void(async_id)> promise_resolve = {};
};

// A registered set of callbacks; created disabled. Move-only; disables itself when destroyed.
class ASYNCCTX_API async_hook {
 public:
  async_hook() = default;
  async_hook(async_hook&&) noexcept = default;
  async_hook& operator=(async_hook&& other) noexcept;
  async_hook(const async_hook&) = delete;
  async_hook& operator=(const async_hook&) = delete;
  ~async_hook();

  async_hook& enable();
  async_hook& disable();
  bool enabled() const noexcept;

 private:
  friend ASYNCCTX_API async_hook create_hook(hook_callbacks callbacks);
  explicit async_hook(std::shared_ptr<detail::hook_state> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::hook_state> state_;
};

ASYNCCTX_API async_hook create_hook(hook_callbacks callbacks);

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
