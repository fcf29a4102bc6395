// async_hooks: the lifecycle of asynchronous resources (Node's async_hooks), for APM tools.
//
// Every asynchronous resource (async_resource, and later tasks, promises, emitters, Asio
// operations) gets an id. While its callback runs, execution_async_id() is that id and
// trigger_async_id() the id of the resource that created it. Hooks observe init / before /
// after / destroy / promise_resolve.
//
// Cost when no hook is enabled: one relaxed load of a global counter per event (a plain
// move), plus the id bookkeeping, which never takes a lock nor touches shared cache lines.
//
// Hook callbacks run synchronously on the thread of the event, in the event's context.
// Rules, chosen so a faulty tool can never corrupt the application's context:
//   * a change a callback makes to the current context (enter_with, a scope it leaks) is
//     undone when the callback returns;
//   * an exception thrown by a callback is caught, the context is restored, and the
//     exception goes to the hook error handler (set_hook_error_handler; by default a line
//     on stderr); the event, the other hooks and the application carry on.
// Thread-safety: create_hook, enable and disable may be called from any thread. disable()
// (and the destructor) returns only when no callback of that hook is running on another
// thread, and none starts afterwards, so a callback never outlives what it captured.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <atomic>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <string_view>

namespace asyncctx {

using async_id = std::uint64_t;

namespace detail {
inline constinit thread_local async_id t_execution_id = 1;
inline constinit thread_local async_id t_trigger_id = 0;
inline std::atomic<int> g_enabled_hooks{0};

ASYNCCTX_ALWAYS_INLINE bool hooks_enabled() noexcept { return g_enabled_hooks.load(std::memory_order_relaxed) != 0; }

// Ids come from a global counter in blocks of 1024 per thread: no shared cache line per id.
inline std::atomic<async_id> g_next_async_id_block{2};
inline constinit thread_local async_id t_next_async_id = 0;
inline constinit thread_local async_id t_end_async_id = 0;
inline async_id new_async_id() noexcept {
  if (t_next_async_id == t_end_async_id) [[unlikely]] {
    constexpr async_id block = 1024;
    t_next_async_id = g_next_async_id_block.fetch_add(block, std::memory_order_relaxed);
    t_end_async_id = t_next_async_id + block;
  }
  return t_next_async_id++;
}

// The number of hooks enabled now (tests; takes the registry lock).
int enabled_hook_count() noexcept;

void emit_init(async_id id, std::string_view type, async_id trigger, const void* resource) noexcept;
void emit_before(async_id id) noexcept;
void emit_after(async_id id) noexcept;
void emit_destroy(async_id id) noexcept;
void emit_promise_resolve(async_id id) noexcept;

// Makes `id` the executing resource for its lifetime, with before/after hooks around it.
class callback_scope {
 public:
  callback_scope(async_id id, async_id trigger) noexcept
      : id_(id), saved_id_(t_execution_id), saved_trigger_(t_trigger_id), hooked_(hooks_enabled()) {
    t_execution_id = id;
    t_trigger_id = trigger;
    if (hooked_) [[unlikely]]
      emit_before(id);
  }
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;
  ~callback_scope() {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    t_execution_id = saved_id_;
    t_trigger_id = saved_trigger_;
  }

 private:
  async_id id_, saved_id_, saved_trigger_;
  bool hooked_;
};

struct hook_state;
}  // namespace detail

// The id of the resource whose callback is running on this thread; 1 at top level.
inline async_id execution_async_id() noexcept { return detail::t_execution_id; }
// The id of the resource that created the running one; 0 at top level.
inline async_id trigger_async_id() noexcept { return detail::t_trigger_id; }

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
class async_hook {
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
  friend async_hook create_hook(hook_callbacks callbacks);
  explicit async_hook(std::shared_ptr<detail::hook_state> state) noexcept : state_(std::move(state)) {}
  std::shared_ptr<detail::hook_state> state_;
};

async_hook create_hook(hook_callbacks callbacks);

// Receives exceptions thrown by hook callbacks (see the rules above). nullptr restores the
// default (a line on stderr). Returns the previous handler.
using hook_error_handler = std::function<void(std::exception_ptr)>;
hook_error_handler set_hook_error_handler(hook_error_handler handler);

}  // namespace asyncctx
