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
// Thread-safety: a context_binder is a handler: one owner at a time. The captured context is
// immutable and may be installed on any thread.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/snapshot.hpp>

#include <boost/asio/associator.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/detail/handler_cont_helpers.hpp>

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

  target_type& get() noexcept { return target_; }
  const target_type& get() const noexcept { return target_; }
  const asyncctx::snapshot& get_context() const noexcept { return context_; }

  template <class... Args>
  decltype(auto) operator()(Args&&... args) && {
    return context_.run(std::move(target_), std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) & {
    return context_.run(target_, std::forward<Args>(args)...);
  }
  template <class... Args>
  decltype(auto) operator()(Args&&... args) const& {
    return context_.run(target_, std::forward<Args>(args)...);
  }

  // Keeps Asio's continuation optimisation of the wrapped handler.
  friend bool asio_handler_is_continuation(context_binder* self) {
    return boost_asio_handler_cont_helpers::is_continuation(self->target_);
  }

 private:
  asyncctx::snapshot context_;
  T target_;
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
      std::move(initiation_)(
          ::asyncctx::asio::context_binder<std::decay_t<Handler>>(context_, std::forward<Handler>(handler)),
          std::forward<Args>(args)...);
    }
    template <class Handler, class... Args>
    void operator()(Handler&& handler, Args&&... args) const& {
      initiation_(::asyncctx::asio::context_binder<std::decay_t<Handler>>(context_, std::forward<Handler>(handler)),
                  std::forward<Args>(args)...);
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
