// asyncctx::event_emitter<Args...>: Node's EventEmitter, for one event (one emitter per event
// name; Args... is the listener signature).
//
// Context (the rules of docs/semantics.md):
//   * listeners run synchronously inside emit(), in the emit-time context, as in Node;
//   * a listener wrapped with snapshot::wrap (or async_local_storage::bind) keeps its
//     registration-time context: the way to make a callback registered inside a run see
//     that store when the event fires from elsewhere (Node's stream.finished case);
//   * an emitter constructed with `as_async_resource` (Node's EventEmitterAsyncResource) is
//     an "EMITTER" async resource: every emit dispatches in the context current when the
//     emitter was constructed, with before/after hooks and execution_async_id() == its id.
//   * a change a listener makes to the context (enter_with, a leaked scope) ends with that
//     listener: the next listener and the caller of emit() see the dispatch context again.
//     This costs one reference per emit, not per listener.
//
// Exceptions (Node's rule): a listener that throws stops the emit: the exception propagates
// out of emit() to its caller, the remaining listeners of that emit are not called, and the
// caller's context is restored. Errors as events: Node's convention is an 'error' event that
// throws when nobody listens; here that is asyncctx::error_emitter (an
// event_emitter<std::exception_ptr> whose emit() rethrows the error when it has no listener).
//
// Thread-safety: on, once, off, emit, listener_count and remove_all_listeners may be called
// from any thread at once, including from inside a listener. The listener list is
// copy-on-write: emit() takes a reference to the current list under a short lock and
// dispatches without it, so a listener may call on/off (itself included) — as in Node, such
// changes take effect from the next emit. A `once` listener runs at most once even when two
// threads emit at the same moment. The emitter must outlive the emits in progress.
#pragma once

#include <asyncctx/async_resource.hpp>
#include <asyncctx/detail/callable.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// Tag: construct an emitter as an async resource (Node's EventEmitterAsyncResource).
struct as_async_resource_t {
  explicit as_async_resource_t() = default;
};
inline constexpr as_async_resource_t as_async_resource{};

// Identifies a registration, for off(). Ids are unique per emitter and never reused.
enum class listener_id : std::uint64_t {};

template <class... Args>
class event_emitter {
 public:
  using listener_type = std::function<void(Args...)>;

  // A plain emitter: listeners run in the emit-time context.
  event_emitter() = default;
  // An async resource of `type` (default "EMITTER") created in the current context, with
  // trigger execution_async_id(): every emit dispatches in that context and async scope.
  explicit event_emitter(as_async_resource_t, std::string type = "EMITTER")
      : resource_(std::make_unique<async_resource>(std::move(type))) {}

  // An emitter is an identity (listeners and hooks refer to it): neither copied nor moved.
  event_emitter(const event_emitter&) = delete;
  event_emitter& operator=(const event_emitter&) = delete;

  // Adds a listener, called by every later emit. Throws std::invalid_argument if empty.
  listener_id on(listener_type listener) { return add(std::move(listener), false); }
  // Adds a listener called by the next emit only (removed before it runs, as in Node).
  listener_id once(listener_type listener) { return add(std::move(listener), true); }

  // Removes a listener; false if it was not (or no longer) registered. An emit already in
  // progress still calls it (Node's rule).
  bool off(listener_id id) {
    std::lock_guard lock(mutex_);
    const auto& current = *listeners_;
    for (std::size_t i = 0; i < current.size(); ++i) {
      if (current[i]->id == id) {
        auto next = std::make_shared<list>(current);
        next->erase(next->begin() + static_cast<std::ptrdiff_t>(i));
        listeners_ = std::move(next);
        return true;
      }
    }
    return false;
  }

  void remove_all_listeners() {
    std::lock_guard lock(mutex_);
    listeners_ = empty_list();
  }

  std::size_t listener_count() const {
    std::lock_guard lock(mutex_);
    return listeners_->size();
  }

  // Calls every listener registered now, in registration order, with args. Returns true if
  // there was at least one listener. A listener's exception propagates (see above).
  bool emit(Args... args) {
    std::shared_ptr<const list> current;
    {
      std::lock_guard lock(mutex_);
      current = listeners_;
    }
    if (current->empty()) return false;
    if (resource_) {
      resource_->run_in_async_scope([&] { dispatch(*current, args...); });
    } else {
      dispatch(*current, args...);
    }
    return true;
  }

  // The emitter's async resource id (0 for a plain emitter) and its trigger.
  asyncctx::async_id async_id() const noexcept { return resource_ ? resource_->async_id() : 0; }
  asyncctx::async_id trigger_async_id() const noexcept { return resource_ ? resource_->trigger_async_id() : 0; }

 private:
  struct entry {
    entry(listener_id i, listener_type f, bool o) : id(i), fn(std::move(f)), once(o) {}
    listener_id id;
    listener_type fn;
    bool once;
    std::atomic<bool> fired{false};  // for once: claimed by the emit that runs it
  };
  using list = std::vector<std::shared_ptr<entry>>;

  static std::shared_ptr<const list> empty_list() {
    static const auto empty = std::make_shared<const list>();  // NOLINT: shared immutable sentinel
    return empty;
  }

  listener_id add(listener_type listener, bool once) {
    detail::require_callable(listener, "asyncctx::event_emitter::on");
    std::lock_guard lock(mutex_);
    const auto id = static_cast<listener_id>(++last_id_);
    auto next = std::make_shared<list>(*listeners_);
    next->push_back(std::make_shared<entry>(id, std::move(listener), once));
    listeners_ = std::move(next);
    return id;
  }

  void dispatch(const list& current, Args&... args) {
    // The dispatch context, re-installed after a listener that changed it (enter_with).
    detail::frame* const base = detail::capture_current();
    detail::context_swap guard(base);
    for (const auto& e : current) {
      if (e->once) {
        if (e->fired.exchange(true, std::memory_order_acq_rel)) continue;
        off(e->id);
      }
      if (detail::current_frame() != base) [[unlikely]] {
        detail::retain(base);
        detail::replace_current(base);
      }
      e->fn(args...);
    }
  }

  mutable std::mutex mutex_;
  std::shared_ptr<const list> listeners_ = empty_list();
  std::uint64_t last_id_ = 0;
  std::unique_ptr<async_resource> resource_;  // null for a plain emitter
};

// Node's 'error' event convention: emit() with no listener rethrows the error (as
// emitter.emit('error', err) throws when nothing listens) instead of losing it.
class error_emitter : public event_emitter<std::exception_ptr> {
 public:
  using event_emitter<std::exception_ptr>::event_emitter;

  // Returns true when listeners took the error; rethrows it when there were none.
  bool emit(std::exception_ptr error) {
    if (event_emitter<std::exception_ptr>::emit(error)) return true;
    if (error) std::rethrow_exception(error);
    return false;
  }
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
