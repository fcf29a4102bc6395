// asyncctx::after_cancel(fn): Go's context.AfterFunc. Runs fn once the current context is
// cancelled, in the context where after_cancel was called.
//
//   auto reg = asyncctx::after_cancel([&] { conn.abort_query(); });
//   ...
//   reg.unregister();   // the query finished: fn will not run
//
// * fn runs exactly once: on the thread that cancels the context (the caller of
//   cancel_handle::cancel, the deadline timer's thread, a cancelling parent), after the whole
//   subtree is marked cancelled; or at once, on the calling thread, when the context is already
//   cancelled at registration.
// * unregister() returns true when it stopped fn from ever running; false when fn has run, is
//   running, or was unregistered before. After a true, fn never runs.
// * Dropping the handle does not unregister. A context that completes (its last reference is
//   gone) without being cancelled has nothing left to cancel: its callbacks are dropped
//   unrun, in whatever context released it. In a context that cannot be cancelled (none of
//   with_cancel / with_deadline / with_timeout made it) fn never runs.
// * A callback that throws is reported to the library's error channel (error_kind
//   cancel_callback, error_handler.hpp); the other callbacks still run.
// * fn is kept with the registration context minus its cancellation state (that is put back
//   when fn runs), so a callback never keeps its own context alive.
// Throws std::invalid_argument for an empty function.
// Thread-safety: after_cancel and unregister may be called from any thread, concurrently with
// a cancellation.
#pragma once

#include <asyncctx/detail/callable.hpp>
#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/detail/unique_function.hpp>

#include <memory>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// A registration of after_cancel. Move-only; dropping it leaves the registration in place.
class after_cancel_handle {
 public:
  after_cancel_handle() noexcept = default;
  after_cancel_handle(after_cancel_handle&& o) noexcept
      : node_(std::move(o.node_)), cb_(std::exchange(o.cb_, nullptr)), inert_(o.inert_) {}
  after_cancel_handle& operator=(after_cancel_handle&& o) noexcept {
    if (this != &o) {
      reset();
      node_ = std::move(o.node_);
      cb_ = std::exchange(o.cb_, nullptr);
      inert_ = o.inert_;
    }
    return *this;
  }
  after_cancel_handle(const after_cancel_handle&) = delete;
  after_cancel_handle& operator=(const after_cancel_handle&) = delete;
  ~after_cancel_handle() { reset(); }

  // Stops fn from running: true when it had not started (and now never will).
  bool unregister() noexcept {
    if (cb_ == nullptr) return std::exchange(inert_, false);
    return detail::remove_callback(node_.get(), cb_);
  }

 private:
  template <class F>
  friend after_cancel_handle after_cancel(F&& fn);

  void reset() noexcept {
    if (cb_ != nullptr) detail::release_callback(std::exchange(cb_, nullptr));
    node_ = detail::cancel_ref();
  }

  detail::cancel_ref node_;
  detail::cancel_callback* cb_ = nullptr;  // one reference
  bool inert_ = false;                     // registered where nothing can cancel: unregister() is true once
};

// Runs fn() once the current context is cancelled (see the file comment).
template <class F>
after_cancel_handle after_cancel(F&& fn) {
  detail::require_callable(fn, "asyncctx::after_cancel");
  after_cancel_handle handle;
  detail::frame* here = detail::current_frame();
  detail::cancel_node* node = detail::frame_cancel_node(here);
  if (node == nullptr) {
    handle.inert_ = true;
    return handle;
  }
  auto cb = std::make_unique<detail::cancel_callback>();
  cb->fn = detail::unique_function(std::forward<F>(fn));
  cb->context = detail::frame_without(here, detail::cancellation_key);
  handle.node_ = detail::cancel_ref::retained(node);
  handle.cb_ = cb.release();
  detail::add_callback(node, handle.cb_);
  return handle;
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
