// asyncctx::asio::context_executor<Executor>: an Asio executor (execution::executor) that runs
// every function submitted through it in the context current at submission — post, defer,
// dispatch, co_spawn, strands and completion handlers whose associated executor it is.
//
// For code that cannot take the handler-tracking hook: it needs no compile definition.
// Properties are forwarded: query(p) asks the inner executor; require(p) / prefer(p) return a
// context_executor around what the inner executor returns, so blocking, relationship,
// outstanding_work and allocator requirements keep working and the wrapper never gets lost.
// Note the submission point: an I/O object using this executor submits a completion handler
// when the operation completes, so the handler sees the completing thread's context; to carry
// the context of the operation's *start*, use bind_context (or the tracking hook).
//
// Thread-safety: as the inner executor's; the wrapper adds only an immutable snapshot per
// submitted function.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/snapshot.hpp>

#include <boost/asio/execution.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/query.hpp>
#include <boost/asio/require.hpp>

#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

template <class Executor>
class context_executor {
 public:
  using inner_executor_type = Executor;

  explicit context_executor(Executor inner) noexcept(std::is_nothrow_move_constructible_v<Executor>)
      : inner_(std::move(inner)) {}

  const Executor& get_inner_executor() const noexcept { return inner_; }

  // Runs f() through the inner executor, in the context current now.
  template <class F>
  void execute(F&& f) const {
    auto bound = asyncctx::snapshot::wrap(std::forward<F>(f));
    if constexpr (requires { inner_.execute(std::move(bound)); }) {
      inner_.execute(std::move(bound));
    } else {
      boost::asio::execution::execute(inner_, std::move(bound));
    }
  }

  template <class Property>
    requires boost::asio::can_query<const Executor&, const Property&>::value
  decltype(auto) query(const Property& p) const
      noexcept(boost::asio::is_nothrow_query<const Executor&, const Property&>::value) {
    return boost::asio::query(inner_, p);
  }

  template <class Property>
    requires boost::asio::can_require<const Executor&, const Property&>::value
  auto require(const Property& p) const {
    using result = std::decay_t<decltype(boost::asio::require(inner_, p))>;
    return context_executor<result>(boost::asio::require(inner_, p));
  }

  template <class Property>
    requires boost::asio::can_prefer<const Executor&, const Property&>::value
  auto prefer(const Property& p) const {
    using result = std::decay_t<decltype(boost::asio::prefer(inner_, p))>;
    return context_executor<result>(boost::asio::prefer(inner_, p));
  }

  friend bool operator==(const context_executor& a, const context_executor& b) noexcept { return a.inner_ == b.inner_; }
  friend bool operator!=(const context_executor& a, const context_executor& b) noexcept {
    return !(a.inner_ == b.inner_);
  }

 private:
  Executor inner_;
};

template <class Executor>
context_executor(Executor) -> context_executor<Executor>;

// `ex`, running what is submitted through it in its submission-time context.
template <class Executor>
context_executor<Executor> make_context_executor(Executor ex) {
  return context_executor<Executor>(std::move(ex));
}

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
