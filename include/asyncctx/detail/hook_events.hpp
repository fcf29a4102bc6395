// The library's side of async hooks: ids and the emission of lifecycle events, used by every
// asynchronous resource (tasks, promises, emitters, async_resource, Asio operations). The
// public API (create_hook, execution_async_id) is in async_hooks.hpp.
//
// Cost when no hook is enabled: one relaxed load of a global counter per event (a plain
// move), plus the id bookkeeping in the thread's execution_state, which never takes a lock
// nor touches a shared cache line.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/execution_state.hpp>

#include <atomic>
#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// The number of enabled hooks (src/async_hooks.cpp keeps it equal to the registered ones).
ASYNCCTX_API extern std::atomic<int> g_enabled_hooks;

ASYNCCTX_ALWAYS_INLINE bool hooks_enabled() noexcept { return g_enabled_hooks.load(std::memory_order_relaxed) != 0; }

inline async_id new_async_id() noexcept { return execution_state::here().new_async_id(); }

ASYNCCTX_API void emit_init(async_id id, std::string_view type, async_id trigger, const void* resource) noexcept;
ASYNCCTX_API void emit_before(async_id id) noexcept;
ASYNCCTX_API void emit_after(async_id id) noexcept;
ASYNCCTX_API void emit_destroy(async_id id) noexcept;
ASYNCCTX_API void emit_promise_resolve(async_id id) noexcept;

// The number of hooks enabled now (tests; takes the registry lock).
ASYNCCTX_API int enabled_hook_count() noexcept;

// Makes `id` (triggered by `trigger`) the thread's executing resource for its lifetime,
// without hook events: for code that acts on a resource's behalf without being its callback
// (starting an Asio operation for a task, say).
class async_ids_scope {
 public:
  async_ids_scope(async_id id, async_id trigger) noexcept {
    execution_state& state = execution_state::here();
    saved_id_ = state.execution_id();
    saved_trigger_ = state.trigger_id();
    state.set_ids(id, trigger);
  }
  async_ids_scope(const async_ids_scope&) = delete;
  async_ids_scope& operator=(const async_ids_scope&) = delete;
  ~async_ids_scope() { execution_state::here().set_ids(saved_id_, saved_trigger_); }

 private:
  async_id saved_id_;
  async_id saved_trigger_;
};

// Makes `id` the executing resource for its lifetime, with before/after hooks around it.
class callback_scope {
 public:
  callback_scope(async_id id, async_id trigger) noexcept : id_(id), hooked_(hooks_enabled()) {
    execution_state& state = execution_state::here();
    saved_id_ = state.execution_id();
    saved_trigger_ = state.trigger_id();
    state.set_ids(id, trigger);
    if (hooked_) [[unlikely]]
      emit_before(id);
  }
  callback_scope(const callback_scope&) = delete;
  callback_scope& operator=(const callback_scope&) = delete;
  ~callback_scope() {
    if (hooked_) [[unlikely]]
      emit_after(id_);
    execution_state::here().set_ids(saved_id_, saved_trigger_);
  }

 private:
  async_id id_, saved_id_ = 0, saved_trigger_ = 0;
  bool hooked_;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
