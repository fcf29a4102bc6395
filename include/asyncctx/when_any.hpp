// asyncctx::when_any: a task that runs several tasks concurrently and completes as soon as
// the first of them completes (like Promise.race): its result is the index of that task
// and its value, or its exception rethrown.
//
//   auto [index, value] = co_await asyncctx::when_any(std::move(tasks));
//
// The rule for the others: they are not cancelled (tasks have no cancellation). They run
// to completion in the background, owned by when_any's shared state, which the last of them
// frees; their results and exceptions are discarded (as Promise.race ignores later
// settlements). Destroying the when_any task never destroys a running task. Code that must
// not outlive something the losers use must wait for them by other means (or use when_all).
//
// Context: each task runs in its own context (the one current when it was created);
// when_any's own task and the code after the co_await run in the context current when
// when_any was called. The tasks start in order on the thread that first awaits when_any;
// a task that completes synchronously wins before later ones start running.
// Thread-safety: the tasks may finish on any threads; exactly one is the winner.
#pragma once

#include <asyncctx/detail/completion_coroutine.hpp>
#include <asyncctx/task.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <functional>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

template <class T>
struct when_any_result {
  std::size_t index;
  T value;
};
template <>
struct when_any_result<void> {
  std::size_t index;
};
template <class T>
struct when_any_result<T&> {
  std::size_t index;
  std::reference_wrapper<T> value;
};

namespace detail {

// Shared by when_any's task (one reference) and every part (one each): the last to let go
// deletes it, with the tasks and the parts' frames.
template <class T>
class when_any_state {
 public:
  struct done {
    when_any_state* state;
    std::size_t index;
    template <class Handle>
    std::coroutine_handle<> operator()(Handle) const noexcept {
      return state->arrive(index);
    }
  };
  using part = completion_coroutine<done>;

  explicit when_any_state(std::vector<task<T>>&& tasks) : tasks_(std::move(tasks)), refs_(tasks_.size() + 1) {
    parts_.reserve(tasks_.size());
    for (std::size_t i = 0; i < tasks_.size(); ++i) parts_.push_back(await_completion(done{this, i}, tasks_[i]));
  }

  // Called by when_any's task when it no longer needs the state.
  void release() noexcept {
    if (refs_.fetch_sub(1, std::memory_order_acq_rel) == 1) delete this;
  }

  auto start() noexcept {
    struct awaiter {
      when_any_state* state;
      bool await_ready() const noexcept { return false; }
      bool await_suspend(std::coroutine_handle<> self) noexcept {
        state->awaiting_ = self;
        // The state stays alive: when_any's task holds a reference until it has resumed.
        for (std::size_t i = 0, n = state->parts_.size(); i < n; ++i) {
          state->parts_[i].handle().resume();
        }
        // As in when_all_latch: the starter holds one unit of the gate until every task
        // has been started, so the winner never resumes us inside this function.
        return state->gate_.fetch_sub(1, std::memory_order_acq_rel) != 1;
      }
      void await_resume() const noexcept {}
    };
    return awaiter{this};
  }

  std::size_t winner() const noexcept { return winner_; }
  task<T>& task_at(std::size_t i) noexcept { return tasks_[i]; }

 private:
  std::coroutine_handle<> arrive(std::size_t index) noexcept {
    std::coroutine_handle<> next = std::noop_coroutine();
    if (!decided_.exchange(true, std::memory_order_acq_rel)) {
      winner_ = index;
      if (gate_.fetch_sub(1, std::memory_order_acq_rel) == 1) next = awaiting_;
    }
    // May delete this state and the calling part's own (final-suspended) frame: nothing is
    // touched afterwards.
    release();
    return next;
  }

  std::vector<task<T>> tasks_;
  std::vector<part> parts_;
  std::atomic<std::size_t> refs_;
  std::atomic<bool> decided_{false};
  std::atomic<int> gate_{2};
  std::size_t winner_ = 0;
  std::coroutine_handle<> awaiting_;
};

template <class T>
class when_any_ref {
 public:
  explicit when_any_ref(when_any_state<T>* s) noexcept : s_(s) {}
  when_any_ref(const when_any_ref&) = delete;
  when_any_ref& operator=(const when_any_ref&) = delete;
  ~when_any_ref() { s_->release(); }
  when_any_state<T>* operator->() const noexcept { return s_; }

 private:
  when_any_state<T>* s_;
};

}  // namespace detail

// Throws std::invalid_argument (when awaited) if `tasks` is empty: there is no first.
template <class T>
task<when_any_result<T>> when_any(std::vector<task<T>> tasks) {
  if (tasks.empty()) throw std::invalid_argument("asyncctx::when_any: no tasks");
  detail::when_any_ref<T> state(new detail::when_any_state<T>(std::move(tasks)));
  co_await state->start();
  const std::size_t index = state->winner();
  task<T>& winner = state->task_at(index);
  if constexpr (std::is_void_v<T>) {
    winner.result();
    co_return when_any_result<T>{index};
  } else if constexpr (std::is_reference_v<T>) {
    co_return when_any_result<T>{index, std::ref(winner.result())};
  } else {
    co_return when_any_result<T>{index, std::move(winner).result()};
  }
}

template <class T, class... Rest>
  requires(std::is_same_v<Rest, task<T>> && ...)
task<when_any_result<T>> when_any(task<T> first, Rest... rest) {
  std::vector<task<T>> tasks;
  tasks.reserve(1 + sizeof...(Rest));
  tasks.push_back(std::move(first));
  (tasks.push_back(std::move(rest)), ...);
  return when_any(std::move(tasks));
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
