// Cancellation nodes (include/asyncctx/detail/cancel_node.hpp) and the deadline timer
// (include/asyncctx/detail/deadline_timer.hpp): creation, cancellation, after_cancel callbacks,
// destruction, and the one timer thread.
#include <asyncctx/cancelled.hpp>
#include <asyncctx/detail/block_allocator.hpp>
#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/deadline_timer.hpp>
#include <asyncctx/detail/error_channel.hpp>

#include <algorithm>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <new>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace {

class cancel_category_impl final : public std::error_category {
 public:
  const char* name() const noexcept override { return "asyncctx.cancel"; }
  std::string message(int ev) const override {
    switch (static_cast<cancel_errc>(ev)) {
      case cancel_errc::cancelled:
        return "cancelled by the caller";
      case cancel_errc::deadline_exceeded:
        return "deadline exceeded";
      case cancel_errc::client_gone:
        return "the client disconnected";
    }
    return "unknown cancellation cause";
  }
};

}  // namespace

const std::error_category& cancel_category() noexcept {
  static const cancel_category_impl category;  // NOLINT: one per process by design
  return category;
}

namespace detail {

namespace {

// --- the deadline timer -----------------------------------------------------------------

// Invariants: `heap_` is a binary min-heap on deadline_; heap_[i]->timer_index_ == i for every
// entry, and -1 for a node without one. `wake_at_` is a time the thread will look at the heap
// again by (no_deadline: it waits for a notification); an entry earlier than it notifies.
class deadline_service {
 public:
  void add(cancel_node* n) {
    bool wake = false;
    {
      std::lock_guard lock(mutex_);
      if (!started_) {
        std::thread([this] { run(); }).detach();
        started_ = true;
      }
      heap_.push_back(n);
      n->timer_index_ = static_cast<std::ptrdiff_t>(heap_.size() - 1);
      sift_up(heap_.size() - 1);
      if (n->deadline_ < wake_at_) {
        wake_at_ = n->deadline_;
        wake = true;
      }
    }
    if (wake) ready_.notify_one();
  }

  void remove(cancel_node* n) noexcept {
    std::lock_guard lock(mutex_);
    if (n->timer_index_ >= 0) erase_at(static_cast<std::size_t>(n->timer_index_));
  }

  std::size_t size() noexcept {
    std::lock_guard lock(mutex_);
    return heap_.size();
  }

 private:
  void run() noexcept {
    std::unique_lock lock(mutex_);
    for (;;) {
      if (heap_.empty()) {
        wake_at_ = no_deadline;
        ready_.wait(lock);
        continue;
      }
      cancel_node* top = heap_.front();
      if (top->deadline_ > deadline_clock::now()) {
        wake_at_ = top->deadline_;
        ready_.wait_until(lock, wake_at_);
        continue;
      }
      erase_at(0);
      // A node whose count is 0 is being destroyed (and waits for this lock to remove the
      // entry we just took): nothing can see it any more, so there is nothing to cancel.
      if (!top->try_retain()) continue;
      lock.unlock();
      cancel(top, make_error_code(cancel_errc::deadline_exceeded));
      top->release();
      lock.lock();
    }
  }

  bool earlier(std::size_t a, std::size_t b) const noexcept { return heap_[a]->deadline_ < heap_[b]->deadline_; }

  void place(std::size_t i, cancel_node* n) noexcept {
    heap_[i] = n;
    n->timer_index_ = static_cast<std::ptrdiff_t>(i);
  }

  void swap_entries(std::size_t a, std::size_t b) noexcept {
    cancel_node* na = heap_[a];
    place(a, heap_[b]);
    place(b, na);
  }

  void sift_up(std::size_t i) noexcept {
    while (i > 0) {
      const std::size_t parent = (i - 1) / 2;
      if (!earlier(i, parent)) break;
      swap_entries(i, parent);
      i = parent;
    }
  }

  void sift_down(std::size_t i) noexcept {
    for (;;) {
      const std::size_t l = 2 * i + 1;
      const std::size_t r = l + 1;
      std::size_t least = i;
      if (l < heap_.size() && earlier(l, least)) least = l;
      if (r < heap_.size() && earlier(r, least)) least = r;
      if (least == i) return;
      swap_entries(i, least);
      i = least;
    }
  }

  void erase_at(std::size_t i) noexcept {
    heap_[i]->timer_index_ = -1;
    const std::size_t last = heap_.size() - 1;
    if (i != last) {
      place(i, heap_[last]);
      heap_.pop_back();
      sift_down(i);
      sift_up(i);
    } else {
      heap_.pop_back();
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::vector<cancel_node*> heap_;
  deadline_clock::time_point wake_at_ = no_deadline;
  bool started_ = false;
};

// Never destroyed: contexts (and their nodes) may be released during static destruction and
// at thread exit, after any static object here would be gone.
deadline_service& the_deadline_service() {
  static auto* service = new deadline_service;  // NOLINT: intentionally immortal
  return *service;
}

// --- callbacks --------------------------------------------------------------------------

void report_callback_error() noexcept {
  report_error(error_kind::cancel_callback, "an after_cancel callback threw", std::current_exception());
}

// Runs `cb`'s function (state `running`, so only this thread touches it) for node `n`, which
// the caller keeps alive, then drops the function and its context.
void invoke(cancel_node* n, cancel_callback* cb) noexcept {
  if (cb->in_context) {
    frame* f = nullptr;
    try {
      f = frame_with_cancel_node(cb->context, cancel_ref::retained(n));
    } catch (...) {
      report_callback_error();
    }
    if (f != nullptr) {
      context_swap in_context(f);
      try {
        cb->fn();
      } catch (...) {
        report_callback_error();
      }
      cb->fn = {};  // the captures die in the callback's context
    }
  } else {
    try {
      cb->fn();
    } catch (...) {
      report_callback_error();
    }
  }
  cb->fn = {};
  release(std::exchange(cb->context, nullptr));
}

// Runs what a cancellation took from a node's list (each holding its list reference).
void run_callbacks(cancel_node* n, cancel_callback* cb) noexcept {
  while (cb != nullptr) {
    cancel_callback* next = cb->next;
    cb->prev = cb->next = nullptr;
    std::uint8_t expected = cancel_callback::pending;
    if (cb->state.compare_exchange_strong(expected, cancel_callback::running, std::memory_order_acq_rel)) {
      invoke(n, cb);
      cb->state.store(cancel_callback::ran, std::memory_order_release);
    }
    release_callback(cb);
    cb = next;
  }
}

// Sets `n` cancelled with `cause` unless it already is; true when this call did.
bool mark_cancelled(cancel_node* n, const std::error_code& cause) noexcept {
  std::lock_guard lock(n->lock_);
  if (n->cancelled_.load(std::memory_order_relaxed)) return false;
  n->cause_ = cause;
  n->cancelled_.store(true, std::memory_order_release);
  return true;
}

}  // namespace

void deadline_timer_add(cancel_node* n) { the_deadline_service().add(n); }
void deadline_timer_remove(cancel_node* n) noexcept { the_deadline_service().remove(n); }
std::size_t deadline_timer_entries() noexcept { return the_deadline_service().size(); }

void release_callback(cancel_callback* cb) noexcept {
  if (cb->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    release(std::exchange(cb->context, nullptr));
    delete cb;
  }
}

// --- nodes ------------------------------------------------------------------------------

cancel_node* make_cancel_node(cancel_node* parent, deadline_clock::time_point own_deadline, bool expired) {
  const deadline_clock::time_point inherited = parent != nullptr ? parent->deadline_ : no_deadline;
  const deadline_clock::time_point effective = std::min(own_deadline, inherited);
  void* mem = allocate_block(sizeof(cancel_node), alignof(cancel_node));
  if (parent != nullptr) parent->retain();
  auto* n = ::new (mem) cancel_node(parent, effective);
  // Only a deadline earlier than the parent's needs an entry: the parent's own deadline
  // cancels this node through the parent.
  if (own_deadline < inherited) {
    if (expired) {
      n->cause_ = make_error_code(cancel_errc::deadline_exceeded);
      n->cancelled_.store(true, std::memory_order_relaxed);  // nobody else sees n yet
    } else {
      n->own_timer_ = true;
    }
  }
  if (parent != nullptr) {
    std::lock_guard parent_lock(parent->lock_);
    if (parent->cancelled_.load(std::memory_order_relaxed)) {
      if (!n->cancelled_.load(std::memory_order_relaxed)) {
        n->cause_ = parent->cause_;
        n->cancelled_.store(true, std::memory_order_relaxed);
      }
    } else {
      n->next_sibling_ = parent->first_child_;
      if (parent->first_child_ != nullptr) parent->first_child_->prev_sibling_ = n;
      parent->first_child_ = n;
      n->linked_ = true;
    }
  }
  if (n->own_timer_ && !n->cancelled()) {
    try {
      deadline_timer_add(n);
    } catch (...) {
      n->release();
      throw;
    }
    // Cancelled (by the parent) while the entry went in: the canceller may have looked for
    // the entry before it existed.
    if (n->cancelled()) deadline_timer_remove(n);
  }
  return n;
}

void cancel(cancel_node* root, std::error_code cause) noexcept {
  if (!cause) cause = make_error_code(cancel_errc::cancelled);
  if (!mark_cancelled(root, cause)) return;
  // Work list of marked nodes whose children and callbacks are still to be handled, each
  // holding a reference taken here. A node is marked once, so it is on one list at most.
  root->retain();
  root->work_next_ = nullptr;
  cancel_node* head = root;
  while (head != nullptr) {
    cancel_node* n = head;
    head = n->work_next_;
    n->work_next_ = nullptr;
    if (n->own_timer_) deadline_timer_remove(n);
    cancel_callback* callbacks = nullptr;
    {
      std::lock_guard lock(n->lock_);
      callbacks = std::exchange(n->first_callback_, nullptr);
      for (cancel_callback* cb = callbacks; cb != nullptr; cb = cb->next) cb->linked = false;
      cancel_node* child = std::exchange(n->first_child_, nullptr);
      while (child != nullptr) {
        cancel_node* next = child->next_sibling_;
        child->linked_ = false;
        child->prev_sibling_ = child->next_sibling_ = nullptr;
        // A child whose count is 0 is being destroyed and waits for n's lock to unlink
        // itself: marking it is harmless, it is not taken.
        if (mark_cancelled(child, n->cause_) && child->try_retain()) {
          child->work_next_ = head;
          head = child;
        }
        child = next;
      }
    }
    run_callbacks(n, callbacks);
    n->release();
  }
}

bool add_callback(cancel_node* n, cancel_callback* cb) noexcept {
  {
    std::lock_guard lock(n->lock_);
    if (!n->cancelled_.load(std::memory_order_relaxed)) {
      cb->next = n->first_callback_;
      if (n->first_callback_ != nullptr) n->first_callback_->prev = cb;
      n->first_callback_ = cb;
      cb->linked = true;
      return true;
    }
  }
  // Already cancelled: the list reference is this call's, and it runs the function now,
  // unless a handle that already exists unregistered it.
  std::uint8_t expected = cancel_callback::pending;
  if (cb->state.compare_exchange_strong(expected, cancel_callback::running, std::memory_order_acq_rel)) {
    invoke(n, cb);
    cb->state.store(cancel_callback::ran, std::memory_order_release);
  }
  release_callback(cb);
  return false;
}

bool remove_callback(cancel_node* n, cancel_callback* cb) noexcept {
  std::uint8_t expected = cancel_callback::pending;
  if (!cb->state.compare_exchange_strong(expected, cancel_callback::unregistered, std::memory_order_acq_rel)) {
    return false;
  }
  bool was_linked = false;
  {
    std::lock_guard lock(n->lock_);
    if (cb->linked) {
      if (cb->prev != nullptr) {
        cb->prev->next = cb->next;
      } else {
        n->first_callback_ = cb->next;
      }
      if (cb->next != nullptr) cb->next->prev = cb->prev;
      cb->prev = cb->next = nullptr;
      cb->linked = false;
      was_linked = true;
    }
  }
  cb->fn = {};
  release(std::exchange(cb->context, nullptr));
  if (was_linked) release_callback(cb);
  return true;
}

void cancel_node::destroy(cancel_node* n) noexcept {
  if (n->own_timer_) deadline_timer_remove(n);
  cancel_node* parent = n->parent_;
  if (parent != nullptr) {
    std::lock_guard lock(parent->lock_);
    if (n->linked_) {
      if (n->prev_sibling_ != nullptr) {
        n->prev_sibling_->next_sibling_ = n->next_sibling_;
      } else {
        parent->first_child_ = n->next_sibling_;
      }
      if (n->next_sibling_ != nullptr) n->next_sibling_->prev_sibling_ = n->prev_sibling_;
      n->linked_ = false;
    }
  }
  // Registrations never run: every handle holds a reference to n, so none is left to
  // unregister them, and nothing can cancel n any more.
  cancel_callback* cb = n->first_callback_;
  while (cb != nullptr) {
    cancel_callback* next = cb->next;
    cb->linked = false;
    release_callback(cb);
    cb = next;
  }
  n->~cancel_node();
  free_block(n, sizeof(cancel_node), alignof(cancel_node));
  if (parent != nullptr) parent->release();
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
