// asyncctx::async_resource: Node's AsyncResource, for code that schedules its own callbacks
// (connection pools, queues, native libraries) and wants them to run in the context, and
// under the async id, of the place that made the resource.
//
// The context is captured at construction. run_in_async_scope() runs a callback in it with
// execution_async_id() == async_id() and emits before/after; destroy is emitted exactly
// once, by emit_destroy() or by the destructor.
// Thread-safety: run_in_async_scope and bind may be used from any thread at once;
// emit_destroy is safe to race with itself.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/detail/callable.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <atomic>
#include <functional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class async_resource {
 public:
  explicit async_resource(std::string type, asyncctx::async_id trigger = execution_async_id())
      : type_(std::move(type)), id_(detail::new_async_id()), trigger_(trigger), frame_(detail::capture_current()) {
    if (detail::hooks_enabled()) [[unlikely]]
      detail::emit_init(id_, type_, trigger_, this);
  }
  // A resource is an identity (hooks receive its address): neither copied nor moved.
  async_resource(const async_resource&) = delete;
  async_resource& operator=(const async_resource&) = delete;
  ~async_resource() {
    emit_destroy();
    detail::release(frame_);
  }

  asyncctx::async_id async_id() const noexcept { return id_; }
  asyncctx::async_id trigger_async_id() const noexcept { return trigger_; }
  std::string_view type() const noexcept { return type_; }

  // Calls f(args...) in the resource's context and async scope.
  template <class F, class... A>
  decltype(auto) run_in_async_scope(F&& f, A&&... args) const {
    detail::callback_scope ids(id_, trigger_);
    detail::retain(frame_);
    detail::context_swap guard(frame_);
    return std::invoke(std::forward<F>(f), std::forward<A>(args)...);
  }

  // f, to be run in this resource's scope. The result refers to *this: it must not be
  // called after the resource is destroyed. Throws std::invalid_argument for an empty f.
  template <class F>
  auto bind(F&& f) const {
    detail::require_callable(f, "asyncctx::async_resource::bind");
    return [self = this, fn = std::decay_t<F>(std::forward<F>(f))](auto&&... args) mutable -> decltype(auto) {
      return self->run_in_async_scope(fn, std::forward<decltype(args)>(args)...);
    };
  }

  // Emits destroy (once, whoever calls it first).
  void emit_destroy() {
    if (!destroyed_.exchange(true, std::memory_order_acq_rel) && detail::hooks_enabled()) {
      detail::emit_destroy(id_);
    }
  }

 private:
  std::string type_;
  asyncctx::async_id id_;
  asyncctx::async_id trigger_;
  detail::frame* frame_;  // owned
  std::atomic<bool> destroyed_{false};
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
