// asyncctx::scope: a binding made by variable::set / async_local_storage::with_scope that
// lasts until the scope ends (RAII), like a TC39-style "using" or Python's ContextVar token.
//
// Scopes nest and must end in LIFO order on their thread: a scope is restored while the
// context it installed is still current. Misuse is detected and reported through
// asyncctx::set_misuse_handler (by default a debug-build abort with a message). Defined
// behaviour when the handler returns (release builds):
//   * a scope restored while a later scope (or an enter_with after it) is still in force puts
//     the thread back to the context from before it, ending everything bound after it, as
//     unwinding a stack would; the scopes ended that way then do nothing when restored;
//   * a scope restored after its context was already unwound (by the above, or because the
//     run / task it was created in has ended), or on another thread than the one whose
//     context it changed, changes nothing.
// Thread-safety: a scope belongs to the code that created it; it is not shared.
#pragma once

#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <cstdint>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class scope;

namespace detail {
struct scope_access {
  static scope install(frame* owned) noexcept;
};
}  // namespace detail

class [[nodiscard]] scope {
 public:
  // An inert scope that restores nothing.
  scope() noexcept = default;

  scope(scope&& other) noexcept
      : saved_(other.saved_),
        installed_(other.installed_),
        epoch_(other.epoch_),
        token_(other.token_),
        active_(std::exchange(other.active_, false)) {}

  scope& operator=(scope&& other) noexcept {
    if (this != &other) {
      restore();
      saved_ = other.saved_;
      installed_ = other.installed_;
      epoch_ = other.epoch_;
      token_ = other.token_;
      active_ = std::exchange(other.active_, false);
    }
    return *this;
  }

  scope(const scope&) = delete;
  scope& operator=(const scope&) = delete;

  ~scope() { restore(); }

  // True until restore() (or the destructor) ends the binding.
  bool active() const noexcept { return active_; }

  // Ends the binding now: the context from before the scope is current again. Idempotent.
  void restore() noexcept {
    if (!active_) return;
    active_ = false;
    // Same address and same token: really the frame this scope installed, not a later one
    // built at the address of a frame freed since, on any thread (see token_).
    detail::execution_state& state = detail::execution_state::here();
    if (state.context() == installed_ && installed_->scope_token == token_) [[likely]] {
      detail::release(state.replace(saved_));
      return;
    }
    restore_out_of_order();
  }

 private:
  friend struct detail::scope_access;

  void restore_out_of_order() noexcept {
    // Epochs are process-unique stamps: equal means this thread, and nothing unwound since.
    detail::execution_state& state = detail::execution_state::here();
    if (epoch_ == state.unwind_epoch()) {
      detail::frame* now = state.replace(saved_);
      state.bump_unwind_epoch();
      detail::release(now);
      detail::report_misuse(
          "scope restored out of LIFO order: a scope (or enter_with) opened after it is still in "
          "force; the thread goes back to the context from before this scope");
    } else {
      detail::release(saved_);
      detail::report_misuse(
          "scope restored after its context was already unwound (an enclosing run or task "
          "ended, an outer scope was restored first, or it is restored on another thread); "
          "nothing changes");
    }
  }

  detail::frame* saved_ = nullptr;  // owned: the context to put back
  // Not owned: dereferenced only while it is current (so alive). Its address alone does not
  // identify it: once it is freed (an out-of-order restore, the end of a run, an enter_with
  // in a task that has moved to another thread), the next binding on any thread may be
  // built in the same block. token_, a process-unique stamp, tells them apart.
  detail::frame* installed_ = nullptr;
  std::uint64_t epoch_ = 0;  // the thread's unwind epoch when the scope was opened (never 0)
  std::uint64_t token_ = 0;  // stamped into *installed_ by install()
  bool active_ = false;
};

namespace detail {
inline scope scope_access::install(frame* owned) noexcept {
  execution_state& state = execution_state::here();
  scope s;
  // `owned` was just built by the caller (set / with_scope): nobody else can read it yet.
  const std::uint64_t token = state.new_stamp();
  owned->scope_token = token;
  s.token_ = token;
  s.epoch_ = state.scope_epoch();
  s.saved_ = state.replace(owned);
  s.installed_ = owned;
  s.active_ = true;
  return s;
}
}  // namespace detail

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
