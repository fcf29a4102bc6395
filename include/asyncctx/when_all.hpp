// asyncctx::when_all: a task that runs several tasks concurrently and completes when all
// of them have completed.
//
//   auto [a, b] = co_await asyncctx::when_all(fetch_user(id), fetch_orders(id));
//   std::vector<int> rs = co_await asyncctx::when_all(std::move(vector_of_tasks));
//
// Results: a std::tuple (variadic form) or a std::vector (range form) of the results in
// argument order; a task<void> contributes std::monostate to the tuple (the range form of
// task<void> gives task<void>); a task<T&> contributes std::reference_wrapper<T>.
// Exceptions: when_all always waits for every task; then, if any failed, it rethrows the
// exception of the first failed task in argument order (the others are dropped).
//
// Context: each task runs in its own context (the one current when it was created, as
// always); when_all's own task, and the code after the co_await, run in the context
// current when when_all was called. The tasks start one after the other on the thread
// that first awaits when_all, each running until its first real suspension. The
// cancellation and deadline of when_all's context are passed on to every task
// (cancellation.hpp): cancelling it cancels them all.
// Thread-safety: the tasks may finish on any threads.
#pragma once

#include <asyncctx/detail/cancellation_join.hpp>
#include <asyncctx/detail/when_all_latch.hpp>
#include <asyncctx/task.hpp>

#include <array>
#include <cstddef>
#include <functional>
#include <tuple>
#include <type_traits>
#include <utility>
#include <variant>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

namespace detail {

template <class T>
struct when_all_element {
  using type = T;
};
template <>
struct when_all_element<void> {
  using type = std::monostate;
};
template <class T>
struct when_all_element<T&> {
  using type = std::reference_wrapper<T>;
};
template <class T>
using when_all_element_t = typename when_all_element<T>::type;

// The result of a finished task as a when_all element (rethrows its exception).
template <class T>
when_all_element_t<T> take_result(task<T>& t) {
  if constexpr (std::is_void_v<T>) {
    t.result();
    return std::monostate{};
  } else if constexpr (std::is_reference_v<T>) {
    return std::ref(t.result());
  } else {
    return std::move(t).result();
  }
}

}  // namespace detail

template <class... T>
task<std::tuple<detail::when_all_element_t<T>...>> when_all(task<T>... tasks) {
  detail::when_all_latch latch(sizeof...(T));
  std::array<detail::cancellation_join, sizeof...(T)> joins;
  {
    std::size_t i = 0;
    (((tasks.valid() && !tasks.is_ready() ? joins[i].join(tasks.context_machinery()) : void()), ++i), ...);
  }
  {
    std::array<detail::when_all_latch::part, sizeof...(T)> parts{
        detail::await_completion(detail::when_all_latch::done{&latch}, tasks)...};
    co_await latch.start(parts);
  }
  // Braced initialisation evaluates in order: the first failure in argument order throws.
  co_return std::tuple<detail::when_all_element_t<T>...>{detail::take_result(tasks)...};
}

template <class T>
task<std::conditional_t<std::is_void_v<T>, void, std::vector<detail::when_all_element_t<T>>>> when_all(
    std::vector<task<T>> tasks) {
  detail::when_all_latch latch(tasks.size());
  std::vector<detail::cancellation_join> joins(tasks.size());
  for (std::size_t i = 0; i < tasks.size(); ++i) {
    if (tasks[i].valid() && !tasks[i].is_ready()) joins[i].join(tasks[i].context_machinery());
  }
  {
    std::vector<detail::when_all_latch::part> parts;
    parts.reserve(tasks.size());
    for (task<T>& t : tasks) parts.push_back(detail::await_completion(detail::when_all_latch::done{&latch}, t));
    co_await latch.start(parts);
  }
  if constexpr (std::is_void_v<T>) {
    for (task<T>& t : tasks) t.result();
  } else {
    std::vector<detail::when_all_element_t<T>> results;
    results.reserve(tasks.size());
    for (task<T>& t : tasks) results.push_back(detail::take_result(t));
    co_return results;
  }
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
