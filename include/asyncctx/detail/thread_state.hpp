// The per-thread current context and the primitives that install and restore it.
//
// Invariant: `t_current` owns one reference to the frame it points to (or is null, the
// empty context). Everything that installs a frame either hands over a reference it owns
// (`context_swap`) or takes a new one, so the thread never borrows a frame somebody else
// might free while it is current.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>

#include <atomic>
#include <cstdint>
#include <utility>

namespace asyncctx::detail {

// `inline constinit` keeps the access a single %fs-relative load: the definition is visible
// and needs no dynamic initialisation, so no TLS wrapper call is emitted.
inline constinit thread_local frame* t_current = nullptr;

// Process-unique 64-bit stamps (never 0), handed to each thread in blocks so that taking
// one touches no shared cache line. They identify things whose address may be reused: a
// scope's frame (a later frame may be built in the same block) and a thread's unwind epoch
// (a later thread may get the same thread-local storage).
inline std::atomic<std::uint64_t> g_next_stamp_block{1};
struct stamp_block {
  std::uint64_t next;
  std::uint64_t end;
};
inline constinit thread_local stamp_block t_stamps{0, 0};

ASYNCCTX_NOINLINE inline std::uint64_t new_stamp_from_new_block() noexcept {
  constexpr std::uint64_t block = 1024;
  const std::uint64_t first = g_next_stamp_block.fetch_add(block, std::memory_order_relaxed);
  t_stamps = stamp_block{first + 1, first + block};
  return first;
}

ASYNCCTX_ALWAYS_INLINE std::uint64_t new_stamp() noexcept {
  stamp_block& b = t_stamps;
  if (b.next == b.end) [[unlikely]]
    return new_stamp_from_new_block();
  return b.next++;
}

// The thread's unwind epoch: a stamp, replaced by a new one whenever a region (a run, a
// task step, a handler) ends with a different context current than the one it installed,
// or a scope is restored out of order. A scope records the epoch it was opened in; restored
// out of order, it unwinds the thread only if the epoch is still the same, which also means
// the same thread, since no two threads ever hold the same stamp. 0 until the thread's first
// scope (see current_unwind_epoch).
inline constinit thread_local std::uint64_t t_unwind_epoch = 0;

inline void bump_unwind_epoch() noexcept { t_unwind_epoch = new_stamp(); }

// The epoch a scope opened now records (never 0, so never the epoch of a thread that has
// opened no scope yet).
ASYNCCTX_ALWAYS_INLINE std::uint64_t current_unwind_epoch() noexcept {
  if (t_unwind_epoch == 0) [[unlikely]]
    bump_unwind_epoch();
  return t_unwind_epoch;
}

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
      bump_unwind_epoch();
    }
    release(now);
  }

 private:
  frame* saved_;
  frame* installed_;
};

}  // namespace asyncctx::detail
