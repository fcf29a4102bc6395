// How an Asio operation started in a cancellable context (cancellation.hpp) is cancelled when
// that context is cancelled or its deadline passes: through Asio's own per-operation
// cancellation slots, never by closing or cancelling the I/O object.
//
// The handlers asyncctx makes — bind_context's context_binder and use_task's handler — carry an
// `operation_cancellation` when their context can be cancelled. Its signal's slot is the
// handler's associated cancellation slot, so the operation installs its cancellation handler
// there at initiation. After the initiation, arm() registers a callback on the context's
// cancellation (after_cancel's machinery, without a context switch): when the context is
// cancelled it emits cancellation_type::terminal on the signal, and the operation completes
// with error::operation_aborted. An operation started in a context that is already cancelled
// never reaches the I/O object when its completion can be made up (bind_context: a signature
// (error_code, values...) and an initiation with an executor; use_task: any signature that
// starts with an error_code); otherwise it is started and the emission follows at once.
//
// A handler that already has a cancellation slot of its own (bind_cancellation_slot, a
// use_awaitable coroutine's cancellation state) keeps it: a forwarding handler is installed in
// the user's slot, so that the user's emissions reach the operation through this signal too.
//
// Invariants: emissions and the completion are serialised by `mutex_`; once finish() has run
// (the handler is being invoked) nothing is emitted and the slot is cleared, so a late
// cancellation never reaches an operation that has completed. The context callback holds a
// weak reference: it never keeps an operation's state alive.
// Thread-safety: emit may run on any thread (the cancelling one: a cancel_handle's caller, the
// deadline timer's thread), concurrently with the operation's completion on its I/O thread.
// Asio's cancellation handlers of timers, sockets and co_spawn lock their service (or
// dispatch to the coroutine's executor) for this. As with any cancellation emitted from another
// thread, an I/O object must not be destroyed while one of its operations is outstanding and
// its context is being cancelled (destroying a timer there races with the timer's handler).
#pragma once

#include <asyncctx/detail/cancel_node.hpp>
#include <asyncctx/detail/frame.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/cancellation_type.hpp>

#include <memory>
#include <mutex>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio::detail {

namespace core = ::asyncctx::detail;

class operation_cancellation {
 public:
  // The cancellation of an operation started in `context`, or null when that context cannot be
  // cancelled.
  static std::shared_ptr<operation_cancellation> for_context(const core::frame* context) {
    core::cancel_node* n = core::frame_cancel_node(context);
    if (n == nullptr) return nullptr;
    return std::make_shared<operation_cancellation>(n);
  }

  explicit operation_cancellation(core::cancel_node* n) noexcept : node_(core::cancel_ref::retained(n)) {}
  operation_cancellation(const operation_cancellation&) = delete;
  operation_cancellation& operator=(const operation_cancellation&) = delete;
  ~operation_cancellation() { disarm(); }

  boost::asio::cancellation_slot slot() noexcept { return signal_.slot(); }
  bool context_cancelled() const noexcept { return node_->cancelled(); }

  // Call after the initiation: from now on the context's cancellation is emitted; when the
  // context is already cancelled, it is emitted now.
  static void arm(const std::shared_ptr<operation_cancellation>& self) {
    auto cb = std::make_unique<core::cancel_callback>();
    cb->in_context = false;
    cb->fn = [weak = std::weak_ptr<operation_cancellation>(self)] {
      if (auto op = weak.lock()) op->emit(boost::asio::cancellation_type::terminal);
    };
    core::cancel_callback* raw = nullptr;
    {
      std::lock_guard lock(self->mutex_);
      if (self->done_) return;
      raw = self->callback_ = cb.release();
      raw->refs.fetch_add(1, std::memory_order_relaxed);  // this call's, until add_callback is done
    }
    core::add_callback(self->node_.get(), raw);
    core::release_callback(raw);
  }

  // Emits `type` unless the operation has completed.
  void emit(boost::asio::cancellation_type type) {
    std::lock_guard lock(mutex_);
    if (!done_) signal_.emit(type);
  }

  // The operation completed (its handler is about to run): nothing is emitted any more.
  void finish() noexcept {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
      signal_.slot().clear();
    }
    disarm();
  }

  // Installed in a handler's own cancellation slot: forwards the user's emissions.
  struct forwarder {
    std::shared_ptr<operation_cancellation> target;
    explicit forwarder(std::shared_ptr<operation_cancellation> t) noexcept : target(std::move(t)) {}
    void operator()(boost::asio::cancellation_type type) const { target->emit(type); }
  };

  // Forwards the emissions of `handler`'s own slot, if it has one, to this signal.
  template <class Handler>
  static void forward_from(const Handler& handler, const std::shared_ptr<operation_cancellation>& self) {
    auto user = boost::asio::get_associated_cancellation_slot(handler);
    if constexpr (std::is_same_v<decltype(user), boost::asio::cancellation_slot>) {
      if (user.is_connected()) user.template emplace<forwarder>(self);
    }
  }

 private:
  void disarm() noexcept {
    core::cancel_callback* cb = nullptr;
    {
      std::lock_guard lock(mutex_);
      cb = std::exchange(callback_, nullptr);
    }
    if (cb != nullptr) {
      core::remove_callback(node_.get(), cb);
      core::release_callback(cb);
    }
  }

  std::mutex mutex_;
  boost::asio::cancellation_signal signal_;
  bool done_ = false;
  core::cancel_ref node_;
  core::cancel_callback* callback_ = nullptr;  // one reference (the "handle" one), while armed
};

}  // namespace asio::detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
