// The per-thread current context and the primitives that install and restore it.
//
// Invariant: `t_current` owns one reference to the frame it points to (or is null, the
// empty context). Everything that installs a frame either hands over a reference it owns
// (`context_swap`) or takes a new one, so the thread never borrows a frame somebody else
// might free while it is current.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>

#include <cstdint>
#include <utility>

namespace asyncctx::detail {

// `inline constinit` keeps the access a single %fs-relative load: the definition is visible
// and needs no dynamic initialisation, so no TLS wrapper call is emitted.
inline constinit thread_local frame* t_current = nullptr;

// Bumped whenever a region (a run, a task step) ends with a different context current than
// the one it installed. Scopes created before the bump that are restored out of order know
// that they were already unwound. See scope.hpp.
inline constinit thread_local std::uint64_t t_unwind_epoch = 0;

ASYNCCTX_ALWAYS_INLINE frame* current_frame() noexcept { return t_current; }

// A new owning reference to the current frame (a capture: one pointer copy + one increment).
ASYNCCTX_ALWAYS_INLINE frame* capture_current() noexcept {
  frame* f = t_current;
  retain(f);
  return f;
}

// capture_current for an operation started outside a task (an Asio handler): takes the
// thread's spare reference (frame.hpp) when it is the current frame, else increments.
ASYNCCTX_ALWAYS_INLINE frame* capture_current_or_spare() noexcept {
  frame* f = t_current;
  if (f != nullptr) {
    if (f == t_thread_spare) {
      t_thread_spare = nullptr;
    } else {
      f->refs.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return f;
}

ASYNCCTX_ALWAYS_INLINE const entry* find_current(std::uint64_t key) noexcept {
  const frame* f = t_current;
  if (f == nullptr) return nullptr;
  return f->find(key);
}

// A thread can end with a context still current only through enter_with or a scope that
// is never restored. The first time either happens on a thread, this registers a
// thread-exit action that releases whatever is current then, so the frame is not leaked.
// The thread's spare (frame.hpp) is only ever the current frame, so it goes with it; the
// action releases it explicitly too, in case that invariant is ever broken.
struct release_at_thread_exit {
  release_at_thread_exit() = default;
  release_at_thread_exit(const release_at_thread_exit&) = delete;
  release_at_thread_exit& operator=(const release_at_thread_exit&) = delete;
  ~release_at_thread_exit() {
    release(std::exchange(t_current, nullptr));
    release(std::exchange(t_thread_spare, nullptr));
  }
};
inline constinit thread_local bool t_exit_release_registered = false;

ASYNCCTX_NOINLINE inline void register_release_at_thread_exit() noexcept {
  static thread_local release_at_thread_exit action;  // NOLINT: its destructor is the point
  (void)action;
  t_exit_release_registered = true;
}

ASYNCCTX_ALWAYS_INLINE void ensure_release_at_thread_exit() noexcept {
  if (!t_exit_release_registered) [[unlikely]]
    register_release_at_thread_exit();
}

// Drops `f`, a reference a finished callback held, after the thread's own context is back:
// when `f` is that context and no task runs on the thread (so the current reference stays
// on this thread until released here), it becomes the thread's spare instead (frame.hpp);
// otherwise it is released. Whatever releases the current reference later drops the spare
// with it (release), also the thread-exit action when the thread ends with that context
// still current, so the spare needs no thread-exit action of its own.
ASYNCCTX_ALWAYS_INLINE void release_or_keep_as_spare(frame* f) noexcept {
  if (f != nullptr && f == t_current && t_thread_spare == nullptr && t_running_task == nullptr) {
    t_thread_spare = f;
  } else {
    release(f);
  }
}

// Replaces the current frame with `owned` (a reference the caller hands over) and releases
// the one that was current. Used by enter_with.
inline void replace_current(frame* owned) noexcept {
  ensure_release_at_thread_exit();
  frame* old = std::exchange(t_current, owned);
  release(old);
}

// Installs `owned` (a reference handed over) for the lifetime of the guard, then puts back
// the previous context, also when unwinding. Whatever is current at the end (the installed
// frame, or one an enter_with inside made) is released after the previous one is back, so
// destructors of values run in the outer context.
class context_swap {
 public:
  ASYNCCTX_ALWAYS_INLINE explicit context_swap(frame* owned) noexcept : saved_(t_current), installed_(owned) {
    t_current = owned;
  }
  context_swap(const context_swap&) = delete;
  context_swap& operator=(const context_swap&) = delete;
  ASYNCCTX_ALWAYS_INLINE ~context_swap() {
    frame* now = t_current;
    t_current = saved_;
    if (now != installed_) [[unlikely]] {
      ++t_unwind_epoch;
    }
    release(now);
  }

 private:
  frame* saved_;
  frame* installed_;
};

}  // namespace asyncctx::detail
