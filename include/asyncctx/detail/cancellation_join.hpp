// detail::cancellation_join: passes the cancellation of the current context to a task that
// has not started, for the task companions that wait for tasks made elsewhere (sync_wait,
// when_all). A task runs in the context of its creation; a task made outside a request and
// awaited inside it would otherwise ignore the request's deadline.
//
// join() gives the task's context a new cancellation node, a child of the task's own, with
// the caller's deadline when it is earlier, and registers on the caller's node a callback that
// cancels it with the caller's cause. Nothing is done when the caller cannot be cancelled or
// the task's node already derives from the caller's (cancellation reaches it anyway).
// Invariant: while joined, `caller_` is an owned reference and `cb_` one reference to the
// registration; the destructor unregisters it, so a finished task holds nothing of its caller.
// Thread-safety: one owner (the waiting sync_wait / when_all frame).
#pragma once

#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/task_context.hpp>

#include <memory>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

class cancellation_join {
 public:
  cancellation_join() noexcept = default;
  cancellation_join(const cancellation_join&) = delete;
  cancellation_join& operator=(const cancellation_join&) = delete;
  ~cancellation_join() {
    if (cb_ != nullptr) {
      remove_callback(caller_, cb_);
      release_callback(cb_);
    }
    if (caller_ != nullptr) caller_->release();
  }

  // Precondition: `task` has not started, and this join is unused.
  void join(task_promise_base& task) {
    cancel_node* caller = current_cancel_node();
    if (caller == nullptr) return;
    frame* ctx = task.unstarted_context();
    cancel_node* own = frame_cancel_node(ctx);
    for (const cancel_node* a = own; a != nullptr; a = a->parent()) {
      if (a == caller) return;
    }
    cancel_ref joined(make_cancel_node(own, caller->deadline(), false));
    auto cb = std::make_unique<cancel_callback>();
    cb->in_context = false;
    cb->fn = [caller, j = joined] { cancel(j.get(), caller->cause()); };
    task.replace_unstarted_context(frame_with_cancel_node(ctx, std::move(joined)));
    caller->retain();
    caller_ = caller;
    cb_ = cb.release();
    add_callback(caller, cb_);  // runs at once when the caller is already cancelled
  }

 private:
  cancel_node* caller_ = nullptr;
  cancel_callback* cb_ = nullptr;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
