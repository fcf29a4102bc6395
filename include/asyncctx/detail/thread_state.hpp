// The context operations every part of the library uses, built on the thread's
// execution_state: read the current context, capture it, switch to another one for a region
// and switch back.
//
// Invariant: the current context owns one reference to its frame (or is null, the empty
// context). Everything that installs a frame either hands over a reference it owns
// (`context_swap`) or takes a new one, so the thread never borrows a frame somebody else
// might free while it is current.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/frame.hpp>

#include <cstdint>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

ASYNCCTX_ALWAYS_INLINE frame* current_frame() noexcept { return execution_state::here().context(); }

// A new owning reference to the current frame (a capture: one pointer copy + one increment).
ASYNCCTX_ALWAYS_INLINE frame* capture_current() noexcept {
  frame* f = execution_state::here().context();
  retain(f);
  return f;
}

// capture_current for an operation started outside a task (an Asio handler): takes the
// thread's spare reference when it is the current frame, else increments.
ASYNCCTX_ALWAYS_INLINE frame* capture_current_or_spare() noexcept {
  execution_state& state = execution_state::here();
  frame* f = state.context();
  if (f != nullptr) {
    if (f == state.thread_spare()) {
      state.set_thread_spare(nullptr);
    } else {
      f->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return f;
}

ASYNCCTX_ALWAYS_INLINE const entry* find_current(std::uint64_t key) noexcept {
  const frame* f = execution_state::here().context();
  if (f == nullptr) return nullptr;
  return f->find(key);
}

// Drops `f`, a reference a finished callback held, after the thread's own context is back:
// when `f` is that context and no task runs on the thread (so the current reference stays
// on this thread until released here), it becomes the thread's spare instead; otherwise it is
// released. Whatever releases the current reference later drops the spare with it (release),
// also the thread-exit action when the thread ends with that context still current, so the
// spare needs no thread-exit action of its own.
ASYNCCTX_ALWAYS_INLINE void release_or_keep_as_spare(frame* f) noexcept {
  execution_state& state = execution_state::here();
  if (f != nullptr && f == state.context() && state.thread_spare() == nullptr && state.running_task() == nullptr) {
    state.set_thread_spare(f);
  } else {
    release(f);
  }
}

// Replaces the current frame with `owned` (a reference the caller hands over) and releases
// the one that was current. Used by enter_with.
inline void replace_current(frame* owned) noexcept { release(execution_state::here().replace(owned)); }

// Ends a region that installed `installed`: `now` is what is current at its end. A region
// that ends with another context than the one it installed (an enter_with or a scope left
// open inside) unwinds the thread: scopes opened before can no longer unwind it (scope.hpp).
ASYNCCTX_ALWAYS_INLINE void note_region_end(const frame* installed, const frame* now) noexcept {
  if (now != installed) [[unlikely]]
    execution_state::here().bump_unwind_epoch();
}

// Installs `owned` (a reference handed over) for the lifetime of the guard, then puts back
// the previous context, also when unwinding. Whatever is current at the end (the installed
// frame, or one an enter_with inside made) is released after the previous one is back, so
// destructors of values run in the outer context.
class context_swap {
 public:
  ASYNCCTX_ALWAYS_INLINE explicit context_swap(frame* owned) noexcept
      : saved_(execution_state::here().install(owned)), installed_(owned) {}
  context_swap(const context_swap&) = delete;
  context_swap& operator=(const context_swap&) = delete;
  ASYNCCTX_ALWAYS_INLINE ~context_swap() {
    frame* now = execution_state::here().put_back(saved_);
    note_region_end(installed_, now);
    release(now);
  }

 private:
  frame* saved_;
  frame* installed_;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
