// detail::execution_state: everything a thread carries, in one place.
//
// A thread runs in an *execution*: a current context (an owned reference to a frame, or null
// for the empty context), the task running on it, and the async ids of the resource whose
// callback runs (execution id, trigger id). Besides that it keeps caches that belong to it
// alone: a spare reference to its own context (for chains of Asio handlers), stamps and async
// ids handed out in blocks, the promise reaction queue, the list of hook callbacks running on
// it, and the block cache of the allocator.
//
// The state is one `constinit thread_local` object, defined once in src/execution_state.cpp
// and exported, so that every shared object of a program sees the same one, and reaching it
// is one thread-local access. Nothing else in the library names a thread-local: every site
// that switches context goes through the interface below.
//
// The interface, in short:
//   * install(owned) -> previous / put_back(previous) -> what was current: a context region
//     (a run, a snapshot run, a handler) installs a context and puts the previous one back;
//   * enter(next) -> previous / leave(previous) -> what was current: the same for a whole
//     execution (context, running task, async ids), used by tasks and handlers with ids;
//   * the spares, stamps, ids, reaction queue and block cache, each with its own accessors.
// With ASYNCCTX_CHECK_STATE_PROTOCOL (on unless NDEBUG), a put_back without a matching
// install on the same thread is reported as misuse, naming the call.
//
// Invariants: `current` owns one reference to its frame (or is null). The thread spare is
// null or the current frame. The data is trivially destructible, so code that runs during
// thread exit (a context released then, whose values emit hook events or free blocks) always
// finds it intact, whatever order the thread's other thread-locals are destroyed in.
// Thread-safety: a thread's state is touched only by that thread.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>
#include <cstdint>
#include <type_traits>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// The id of an asynchronous resource (async_hooks.hpp).
using async_id = std::uint64_t;

namespace detail {

class frame;
struct task_spare_slot;
struct continuation;
struct running_hook_callback;

// Numbers a thread hands out from a block it took from a process-wide counter: no shared
// cache line per number.
struct number_block {
  std::uint64_t next;
  std::uint64_t end;
};

inline constexpr std::size_t block_granule = 64;
inline constexpr std::size_t block_classes = 16;  // 64, 128, ..., 1024 bytes

struct free_block_node {
  free_block_node* next;
};

// The thread's cache of freed blocks (block_allocator.hpp).
struct block_cache {
  free_block_node* head[block_classes];
  std::uint32_t count[block_classes];
  bool cleanup_registered;
  bool thread_exiting;  // after the cleanup ran: free straight to operator delete
};

// The thread's FIFO of settled promise reactions (future_state.hpp).
struct reaction_queue {
  continuation* head;
  continuation* tail;
  bool draining;
};

// An execution: what enter() installs and leave() puts back.
struct execution {
  frame* context;  // owned by whoever holds the record
  task_spare_slot* task;
  async_id id;
  async_id trigger;
};

class execution_state;

// The one thread-local of the library (see the file comment). Reach it through
// execution_state::here().
ASYNCCTX_API extern constinit thread_local execution_state t_execution_state ASYNCCTX_TLS_MODEL;

ASYNCCTX_API void report_state_misuse(const char* call) noexcept;
ASYNCCTX_API void register_release_at_thread_exit() noexcept;
ASYNCCTX_API std::uint64_t take_number_block(number_block& block, bool async_ids) noexcept;

class execution_state {
 public:
  // The calling thread's state.
  static ASYNCCTX_ALWAYS_INLINE execution_state& here() noexcept { return t_execution_state; }

  // --- the current context --------------------------------------------------------------

  ASYNCCTX_ALWAYS_INLINE frame* context() const noexcept { return current_; }

  // Installs `owned` (a reference handed over) and returns the previous context, whose
  // reference now belongs to the caller until put_back.
  ASYNCCTX_ALWAYS_INLINE frame* install(frame* owned) noexcept {
    count_install();
    frame* previous = current_;
    current_ = owned;
    return previous;
  }

  // Puts `previous` (what install returned) back and returns what was current, whose
  // reference now belongs to the caller (to release, after the previous context is back).
  ASYNCCTX_ALWAYS_INLINE frame* put_back(frame* previous) noexcept {
    count_put_back("execution_state::put_back");
    frame* now = current_;
    current_ = previous;
    return now;
  }

  // Replaces the current context for good (enter_with, a scope): `owned` is handed over, the
  // previous reference is returned to the caller. Registers the thread-exit release.
  ASYNCCTX_ALWAYS_INLINE frame* replace(frame* owned) noexcept {
    if (!exit_release_registered_) [[unlikely]]
      register_release_at_thread_exit();
    frame* previous = current_;
    current_ = owned;
    return previous;
  }

  // --- a whole execution (context, running task, ids) -----------------------------------

  ASYNCCTX_ALWAYS_INLINE execution enter(const execution& next) noexcept {
    count_install();
    execution previous{current_, running_task_, execution_id_, trigger_id_};
    set(next);
    return previous;
  }

  // Installs `next` without counting a region: the caller already owns the region (a task
  // that borrows the thread's saved state from its awaiting task, or a child handing the
  // thread back to its parent).
  ASYNCCTX_ALWAYS_INLINE void set(const execution& next) noexcept {
    current_ = next.context;
    running_task_ = next.task;
    execution_id_ = next.id;
    trigger_id_ = next.trigger;
  }

  // Puts `previous` (what enter returned) back; returns the context that was current.
  ASYNCCTX_ALWAYS_INLINE frame* leave(const execution& previous) noexcept {
    count_put_back("execution_state::leave");
    frame* now = current_;
    set(previous);
    return now;
  }

  // --- async ids --------------------------------------------------------------------------

  ASYNCCTX_ALWAYS_INLINE async_id execution_id() const noexcept { return execution_id_; }
  ASYNCCTX_ALWAYS_INLINE async_id trigger_id() const noexcept { return trigger_id_; }
  ASYNCCTX_ALWAYS_INLINE void set_ids(async_id id, async_id trigger) noexcept {
    execution_id_ = id;
    trigger_id_ = trigger;
  }

  // A new process-unique async id (never 0 or 1: 1 is the top level).
  ASYNCCTX_ALWAYS_INLINE async_id new_async_id() noexcept {
    if (async_ids_.next == async_ids_.end) [[unlikely]]
      return take_number_block(async_ids_, true);
    return async_ids_.next++;
  }

  // --- spares -----------------------------------------------------------------------------

  // The spare reference of the task running on this thread, if any (task_context.hpp).
  ASYNCCTX_ALWAYS_INLINE task_spare_slot* running_task() const noexcept { return running_task_; }

  // The thread's own spare reference to its current frame, for callbacks that run outside
  // any task (Asio handlers): null, or the current frame.
  ASYNCCTX_ALWAYS_INLINE frame* thread_spare() const noexcept { return thread_spare_; }
  ASYNCCTX_ALWAYS_INLINE void set_thread_spare(frame* f) noexcept { thread_spare_ = f; }

  // --- scopes: stamps and the unwind epoch ------------------------------------------------

  // A process-unique 64-bit stamp, never 0. Identifies what an address cannot: a frame
  // built in a recycled block, a thread with recycled thread-local storage.
  ASYNCCTX_ALWAYS_INLINE std::uint64_t new_stamp() noexcept {
    if (stamps_.next == stamps_.end) [[unlikely]]
      return take_number_block(stamps_, false);
    return stamps_.next++;
  }

  // A stamp, replaced whenever a region ends with a different context current than the one
  // it installed, or a scope is restored out of order (scope.hpp). 0 before the thread's
  // first scope; equal epochs mean the same thread and nothing unwound in between.
  ASYNCCTX_ALWAYS_INLINE std::uint64_t unwind_epoch() const noexcept { return unwind_epoch_; }
  ASYNCCTX_ALWAYS_INLINE void bump_unwind_epoch() noexcept { unwind_epoch_ = new_stamp(); }
  ASYNCCTX_ALWAYS_INLINE std::uint64_t scope_epoch() noexcept {
    if (unwind_epoch_ == 0) [[unlikely]]
      bump_unwind_epoch();
    return unwind_epoch_;
  }

  // --- what other parts of the library keep per thread ------------------------------------

  ASYNCCTX_ALWAYS_INLINE reaction_queue& reactions() noexcept { return reactions_; }
  ASYNCCTX_ALWAYS_INLINE block_cache& blocks() noexcept { return blocks_; }
  // Innermost first; the nodes live on the stacks of the callers (src/async_hooks.cpp).
  ASYNCCTX_ALWAYS_INLINE running_hook_callback*& running_hook_callbacks() noexcept { return running_hooks_; }

  // The frames the thread owns, taken out for the thread-exit release (src only).
  frame* take_current_for_exit() noexcept {
    frame* f = current_;
    current_ = nullptr;
    return f;
  }
  void mark_exit_release_registered() noexcept { exit_release_registered_ = true; }

 private:
  ASYNCCTX_ALWAYS_INLINE void count_install() noexcept {
#if ASYNCCTX_CHECK_STATE_PROTOCOL
    ++regions_;
#endif
  }
  ASYNCCTX_ALWAYS_INLINE void count_put_back([[maybe_unused]] const char* call) noexcept {
#if ASYNCCTX_CHECK_STATE_PROTOCOL
    if (regions_ == 0) [[unlikely]] {
      report_state_misuse(call);
      return;
    }
    --regions_;
#endif
  }

  frame* current_ = nullptr;
  task_spare_slot* running_task_ = nullptr;
  async_id execution_id_ = 1;
  async_id trigger_id_ = 0;
  frame* thread_spare_ = nullptr;
  std::uint64_t unwind_epoch_ = 0;
  number_block stamps_{0, 0};
  number_block async_ids_{0, 0};
  reaction_queue reactions_{nullptr, nullptr, false};
  running_hook_callback* running_hooks_ = nullptr;
  std::uint64_t regions_ = 0;  // open install/enter regions (protocol checks only)
  bool exit_release_registered_ = false;
  block_cache blocks_{};
};

static_assert(std::is_trivially_destructible_v<execution_state>,
              "thread-exit code must find the execution state intact");

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
