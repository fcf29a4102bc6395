// The awaiter a `co_await expr` would use: expr.operator co_await(), else a free
// operator co_await(expr), else expr itself ([expr.await]/3). Used by await_transform
// wrappers, which must see the awaiter to put code around its await_suspend/await_resume.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <coroutine>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

template <class A>
concept has_member_co_await = requires(A&& a) { static_cast<A&&>(a).operator co_await(); };

template <class A>
concept has_free_co_await = requires(A&& a) { operator co_await(static_cast<A&&>(a)); };

// Returns a prvalue when operator co_await returns one (so the caller can store it by
// value with guaranteed elision) and a reference when `a` is its own awaiter: a temporary
// awaitable lives until the end of the full-expression that awaits it, across suspension.
template <class A>
decltype(auto) get_awaiter(A&& a) {
  if constexpr (has_member_co_await<A>) {
    return static_cast<A&&>(a).operator co_await();
  } else if constexpr (has_free_co_await<A>) {
    return operator co_await(static_cast<A&&>(a));
  } else {
    return static_cast<A&&>(a);
  }
}

template <class A>
using awaiter_t = decltype(get_awaiter(std::declval<A>()));

// The result type of `co_await a`.
template <class A>
using await_result_t = decltype(std::declval<std::remove_reference_t<awaiter_t<A>>&>().await_resume());

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
