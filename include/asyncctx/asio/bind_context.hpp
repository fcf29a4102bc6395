// asyncctx::asio::bind_context(token): a completion-token adapter, in the manner of
// boost::asio::bind_executor, that runs the completion handler in the context current when
// bind_context was called — i.e. where the operation was started, for the usual
// `op.async_x(..., bind_context(token))`.
//
// For code that cannot take the handler-tracking hook (asyncctx/asio/handler_tracking.hpp):
// it needs no compile definition. Works with callbacks, use_awaitable (the coroutine resumes
// in the captured context), deferred (captured at the bind_context call, installed when the
// deferred operation completes) and use_future. The wrapped handler's associated executor,
// allocator and cancellation slot are forwarded through Asio's associator machinery, so
// binding a context changes nothing else about how or where the handler runs.
//
// Cancellation (cancellation.hpp, operation_cancellation.hpp): when the captured context can
// be cancelled, the operation is started with a cancellation slot of asyncctx's, and
// cancelling the context (or its deadline passing) cancels the operation through it: the
// handler gets error::operation_aborted, a use_awaitable coroutine a system_error. An
// operation started in an already cancelled context completes with operation_aborted at once,
// without reaching the I/O object. A cancellation slot the wrapped handler has of its own
// keeps working: bind_context forwards its emissions. (Put bind_context outermost:
// bind_cancellation_slot(slot, bind_context(h)) hides asyncctx's slot from the operation.)
//
// Thread-safety: a context_binder is a handler: one owner at a time. The captured context is
// immutable and may be installed on any thread.
#pragma once

#include <asyncctx/asio/operation_cancellation.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/snapshot.hpp>

#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/bind_executor.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>
#include <boost/asio/error.hpp>
#include <boost/asio/post.hpp>
#include <boost/system/error_code.hpp>

#include <memory>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

// A target (a handler or a completion token) bound to a captured context. Invariant: every
// call of the target runs with that context installed, and the caller's is back afterwards.
template <class T>
class context_binder {
 public:
  using target_type = T;

  template <class U>
  context_binder(asyncctx::snapshot context, U&& target)
      : context_(std::move(context)), target_(std::forward<U>(target)) {}
  template <class U>
  context_binder(asyncctx::snapshot context, U&& target, std::shared_ptr<detail::operation_cancellation> cancellation)
      : context_(std::move(context)), target_(std::forward<U>(target)), cancellation_(std::move(cancellation)) {}

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  const asyncctx::snapshot& get_context() const noexcept { return context_; }
  // The operation's cancellation by its context, or null (not a cancellable context, or a
  // binder that is a token rather than a handler).
  const std::shared_ptr<detail::operation_cancellation>& get_cancellation() const noexcept { return cancellation_; }

  template <class... Args>
  decltype(auto) operator()(Args&&... args) && {
    if (cancellation_) cancellation_->finish();
    return context_.run(std::move(target_), std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) & {
    if (cancellation_) cancellation_->finish();
    return context_.run(target_, std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) const& {
    if (cancellation_) cancellation_->finish();
    return context_.run(target_, std::forward<Args>(args)...);
  }

  // Keeps Asio's continuation optimisation of the wrapped handler.
  friend bool asio_handler_is_continuation(context_binder* self) {
    return boost_asio_handler_cont_helpers::is_continuation(self->target_);
  }

 private:
  asyncctx::snapshot context_;
  T target_;
  std::shared_ptr<detail::operation_cancellation> cancellation_;
};

// `token` (a handler or any completion token), completing in the context current now.
template <class T>
[[nodiscard]] context_binder<std::decay_t<T>> bind_context(T&& token) {
  return context_binder<std::decay_t<T>>(asyncctx::snapshot(), std::forward<T>(token));
}

// `token`, completing in `context`.
template <class T>
[[nodiscard]] context_binder<std::decay_t<T>> bind_context(asyncctx::snapshot context, T&& token) {
  return context_binder<std::decay_t<T>>(std::move(context), std::forward<T>(token));
}

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx

namespace boost::asio {

// Initiation with a context_binder token = initiation with the inner token whose handler is
// wrapped in a context_binder carrying the same context (as bind_executor does it).
namespace detail {
// completion_handler_type / return_type exist when the target's async_result has them (Asio's
// handler type checks look for them on the handler type, which may be a context_binder).
template <class TargetResult>
struct context_binder_result_types {};
template <class TargetResult>
  requires requires { typename TargetResult::completion_handler_type; }
struct context_binder_result_types<TargetResult> {
  using completion_handler_type = ::asyncctx::asio::context_binder<typename TargetResult::completion_handler_type>;
  using return_type = typename TargetResult::return_type;
};
}  // namespace detail

template <class T, BOOST_ASIO_COMPLETION_SIGNATURE... Signatures>
class async_result<::asyncctx::asio::context_binder<T>, Signatures...>
    : public detail::context_binder_result_types<async_result<T, Signatures...>> {
 public:
  template <class Initiation>
  struct init_wrapper {
    template <class Init>
    init_wrapper(const ::asyncctx::snapshot& context, Init&& init)
        : context_(context), initiation_(std::forward<Init>(init)) {}

    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) && {
      start(std::move(initiation_), std::forward<Handler>(handler), std::forward<Args>(args)...);
    }
    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) const& {
      start(initiation_, std::forward<Handler>(handler), std::forward<Args>(args)...);
    }

    // Starts the operation with the handler bound to the context and, when that context can be
    // cancelled, to its cancellation (operation_cancellation.hpp).
    template <class Init, class Handler, class... Args>
    void start(Init&& init, Handler&& handler, Args&&... args) const {
      using binder = ::asyncctx::asio::context_binder<std::decay_t<Handler>>;
      using cancellation = ::asyncctx::asio::detail::operation_cancellation;
      std::shared_ptr<cancellation> link =
          context_.run([] { return cancellation::for_context(::asyncctx::detail::current_frame()); });
      if (!link) {
        std::forward<Init>(init)(binder(context_, std::forward<Handler>(handler)), std::forward<Args>(args)...);
        return;
      }
      if constexpr (can_complete_aborted<std::decay_t<Init>>) {
        if (link->context_cancelled()) {
          complete_aborted(init.get_executor(), binder(context_, std::forward<Handler>(handler)));
          return;
        }
      }
      cancellation::forward_from(handler, link);
      std::forward<Init>(init)(binder(context_, std::forward<Handler>(handler), link), std::forward<Args>(args)...);
      cancellation::arm(link);
    }

    // The completion of an operation that never started: (operation_aborted, values{}...),
    // for a single signature that starts with an error_code, posted through the handler's
    // associated executor as the operation's own completion would be.
    template <class Sig>
    struct aborted_args {
      static constexpr bool ok = false;
    };
    template <class R, class... Rest>
    struct aborted_args<R(boost::system::error_code, Rest...)> {
      static constexpr bool ok = (std::is_default_constructible_v<std::decay_t<Rest>> && ...);
      static auto make() {
        return std::tuple<boost::system::error_code, std::decay_t<Rest>...>(boost::asio::error::operation_aborted,
                                                                            std::decay_t<Rest>{}...);
      }
    };
    template <class Init>
    static constexpr bool can_complete_aborted = sizeof...(Signatures) == 1 && (aborted_args<Signatures>::ok && ...) &&
                                                 requires(const Init& i) { i.get_executor(); };

    template <class Executor, class Handler>
    static void complete_aborted(const Executor& io_ex, Handler&& handler) {
      auto ex = boost::asio::get_associated_executor(handler, io_ex);
      boost::asio::post(io_ex, boost::asio::bind_executor(ex, [h = std::forward<Handler>(handler)]() mutable {
                          std::apply(std::move(h), (aborted_args<Signatures>::make(), ...));
                        }));
    }

    ::asyncctx::snapshot context_;
    Initiation initiation_;
  };

  template <class Initiation, class RawCompletionToken, class... Args>
  static decltype(auto) initiate(Initiation&& initiation, RawCompletionToken&& token, Args&&... args) {
    init_wrapper<std::decay_t<Initiation>> wrapped(token.get_context(), std::forward<Initiation>(initiation));
    // Asio 1.81's async_initiate takes the token as an lvalue reference.
    using inner = std::conditional_t<std::is_const_v<std::remove_reference_t<RawCompletionToken>>, const T, T>;
    return async_initiate<inner, Signatures...>(std::move(wrapped), token.get(), std::forward<Args>(args)...);
  }
};

// Associated cancellation slot: asyncctx's, when the binder carries its context's
// cancellation (operation_cancellation.hpp); otherwise the target's.
template <class T, class DefaultCandidate>
  requires std::is_same_v<typename associated_cancellation_slot<T, DefaultCandidate>::type, cancellation_slot>
struct associator<associated_cancellation_slot, ::asyncctx::asio::context_binder<T>, DefaultCandidate> {
  using type = cancellation_slot;
  static type get(const ::asyncctx::asio::context_binder<T>& b) noexcept {
    if (b.get_cancellation()) return b.get_cancellation()->slot();
    return associated_cancellation_slot<T, DefaultCandidate>::get(b.get());
  }
  static type get(const ::asyncctx::asio::context_binder<T>& b, const DefaultCandidate& c) noexcept {
    if (b.get_cancellation()) return b.get_cancellation()->slot();
    return associated_cancellation_slot<T, DefaultCandidate>::get(b.get(), c);
  }
};

// Associated executor, allocator, cancellation slot (every associator): the target's.
template <template <class, class> class Associator, class T, class DefaultCandidate>
struct associator<Associator, ::asyncctx::asio::context_binder<T>, DefaultCandidate> {
  using type = typename Associator<T, DefaultCandidate>::type;
  static type get(const ::asyncctx::asio::context_binder<T>& b) noexcept {
    return Associator<T, DefaultCandidate>::get(b.get());
  }
  static type get(const ::asyncctx::asio::context_binder<T>& b, const DefaultCandidate& c) noexcept {
    return Associator<T, DefaultCandidate>::get(b.get(), c);
  }
};

}  // namespace boost::asio
