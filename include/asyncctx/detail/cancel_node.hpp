// detail::cancel_node: the cancellation state of a context (cancellation.hpp), as Go's
// context.Context keeps it: a node per with_cancel / with_deadline / with_timeout, linked to
// the node of the context it was made in.
//
// A context carries its node in one entry of its frame, under a key reserved for it
// (`cancellation_key`, never handed out by new_key), holding a `cancel_ref`. Reading the state
// is a frame lookup plus one acquire load of `cancelled_`; nothing is locked on that path.
//
// Invariants:
//   * `cancelled_` goes from false to true once; `cause_` is written before, under `lock_`,
//     and never changes after: whoever sees `cancelled_` true (acquire) may read `cause_`.
//   * `deadline_` (the effective deadline: the earliest of the node's own and its parent's)
//     and `parent_` (an owned reference) never change after construction.
//   * A node is linked into its parent's child list (under the parent's lock) from creation
//     until the parent is cancelled or the node is destroyed; a node that is born cancelled
//     (its parent already was) is never linked. Cancelling walks the subtree parent first,
//     locking a parent before a child: locks are always taken top-down.
//   * A node with its own deadline (`own_timer_`) has an entry in the deadline timer from
//     creation until it is cancelled or destroyed (detail/deadline_timer.hpp); the entry does
//     not own the node: the timer takes a reference with try_retain before cancelling it.
//   * The reference count is only ever changed by read-modify-write operations (no sole-owner
//     shortcut): try_retain must be able to tell a dying node (count 0) from a live one.
//   * after_cancel registrations (`cancel_callback`) are linked under `lock_` until the node is
//     cancelled, the registration is unregistered, or the node is destroyed.
// Thread-safety: every member function may be called from any thread.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/spin_lock.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/detail/unique_function.hpp>

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <system_error>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {

// The frame key of the cancellation entry: the first key, which new_key never hands out.
inline constexpr std::uint64_t cancellation_key = key_step;

using deadline_clock = std::chrono::steady_clock;
inline constexpr deadline_clock::time_point no_deadline = deadline_clock::time_point::max();

class cancel_node;

// One after_cancel registration. Owned by two references: the node's list (until the node is
// cancelled, destroyed, or the registration unregistered) and the handle. `state_` decides,
// by one compare-exchange, whether the function runs or is unregistered.
struct cancel_callback {
  enum : std::uint8_t { pending, running, ran, unregistered };
  std::atomic<std::uint32_t> refs{2};
  std::atomic<std::uint8_t> state{pending};
  bool linked = false;     // in its node's list; guarded by the node's lock
  bool in_context = true;  // run with `context` + the node installed (else as it is: internal uses)
  cancel_callback* prev = nullptr;
  cancel_callback* next = nullptr;
  frame* context = nullptr;  // owned: the registration context without the cancellation entry
  unique_function fn;
};

ASYNCCTX_API void release_callback(cancel_callback* cb) noexcept;

class cancel_node {
 public:
  // Use make_cancel_node.
  cancel_node(cancel_node* parent, deadline_clock::time_point deadline) noexcept
      : deadline_(deadline), parent_(parent) {}
  cancel_node(const cancel_node&) = delete;
  cancel_node& operator=(const cancel_node&) = delete;

  ASYNCCTX_ALWAYS_INLINE bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }
  // The cause, once cancelled() is true; empty before.
  std::error_code cause() const noexcept { return cancelled() ? cause_ : std::error_code(); }
  deadline_clock::time_point deadline() const noexcept { return deadline_; }
  const cancel_node* parent() const noexcept { return parent_; }

  void retain() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  // A new reference unless the node is already being destroyed (count 0).
  bool try_retain() noexcept {
    std::uint32_t n = refs_.load(std::memory_order_relaxed);
    while (n != 0) {
      if (refs_.compare_exchange_weak(n, n + 1, std::memory_order_acquire, std::memory_order_relaxed)) return true;
    }
    return false;
  }
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) destroy(this);
  }

  // All but the cheap accessors live in src/cancellation.cpp.
  ASYNCCTX_API static void destroy(cancel_node* n) noexcept;

  std::atomic<bool> cancelled_{false};
  std::atomic<std::uint32_t> refs_{1};
  spin_lock lock_;
  bool own_timer_ = false;  // immutable after creation
  bool linked_ = false;     // in parent_'s child list; guarded by parent_->lock_
  std::error_code cause_;   // see the invariants
  const deadline_clock::time_point deadline_;
  cancel_node* const parent_;            // owned reference (or null)
  cancel_node* prev_sibling_ = nullptr;  // guarded by parent_->lock_
  cancel_node* next_sibling_ = nullptr;
  cancel_node* first_child_ = nullptr;         // guarded by lock_
  cancel_callback* first_callback_ = nullptr;  // guarded by lock_
  cancel_node* work_next_ = nullptr;           // cancel()'s own work list (src)
  std::ptrdiff_t timer_index_ = -1;            // guarded by the deadline timer's lock
};

// A new node (one reference, the caller's), child of `parent` (borrowed, may be null), with the
// effective deadline min(own, parent's). Born cancelled when the parent is cancelled (its
// cause) or when `expired` (the caller found own_deadline passed: deadline_exceeded).
ASYNCCTX_API cancel_node* make_cancel_node(cancel_node* parent, deadline_clock::time_point own_deadline, bool expired);

// Cancels `n` (a reference the caller holds) and every node derived from it that is not yet
// cancelled, with `cause`; then runs their after_cancel callbacks on the calling thread.
ASYNCCTX_API void cancel(cancel_node* n, std::error_code cause) noexcept;

// Registers `cb` (refs == 2, fn set) on `n`; when `n` is already cancelled, runs it now on the
// calling thread instead. Returns false when it ran (or was unregistered) already.
ASYNCCTX_API bool add_callback(cancel_node* n, cancel_callback* cb) noexcept;

// Unregisters `cb` from `n`: true when the function will never run (it had not started).
ASYNCCTX_API bool remove_callback(cancel_node* n, cancel_callback* cb) noexcept;

// An owning pointer to a node: the value of the cancellation entry.
class cancel_ref {
 public:
  cancel_ref() noexcept = default;
  explicit cancel_ref(cancel_node* owned) noexcept : node_(owned) {}
  static cancel_ref retained(cancel_node* n) noexcept {
    if (n != nullptr) n->retain();
    return cancel_ref(n);
  }
  cancel_ref(const cancel_ref& o) noexcept : node_(o.node_) {
    if (node_ != nullptr) node_->retain();
  }
  cancel_ref(cancel_ref&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  cancel_ref& operator=(cancel_ref o) noexcept {
    std::swap(node_, o.node_);
    return *this;
  }
  ~cancel_ref() {
    if (node_ != nullptr) node_->release();
  }
  cancel_node* get() const noexcept { return node_; }
  cancel_node* operator->() const noexcept { return node_; }
  explicit operator bool() const noexcept { return node_ != nullptr; }
  cancel_node* release_ownership() noexcept { return std::exchange(node_, nullptr); }

 private:
  cancel_node* node_ = nullptr;
};

// The node of a context (borrowed; valid while the frame is), or null.
ASYNCCTX_ALWAYS_INLINE cancel_node* frame_cancel_node(const frame* f) noexcept {
  if (f == nullptr) return nullptr;
  const entry* e = f->find(cancellation_key);
  if (e == nullptr || e->box == nullptr) return nullptr;
  return box_value<cancel_ref>(e->box).get();
}

ASYNCCTX_ALWAYS_INLINE cancel_node* current_cancel_node() noexcept { return frame_cancel_node(current_frame()); }

ASYNCCTX_ALWAYS_INLINE bool frame_is_cancelled(const frame* f) noexcept {
  const cancel_node* n = frame_cancel_node(f);
  return n != nullptr && n->cancelled();
}

// A new frame = `base` with `node` (a reference handed over) as its cancellation entry.
inline frame* frame_with_cancel_node(const frame* base, cancel_ref node) {
  return frame_with_value<cancel_ref>(base, cancellation_key, std::move(node));
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
