// The join point of when_all: counts the tasks still running and resumes the awaiting
// coroutine when the last one ends.
//
// The count starts at n + 1: the extra unit belongs to the starter, which drops it only
// after every task has been started, so a task that finishes synchronously cannot resume
// the awaiting coroutine while it is still inside await_suspend starting the others.
// Thread-safety: arrive() may be called from any thread; acq_rel on the count orders every
// task's result before the awaiting coroutine reads it.
#pragma once

#include <asyncctx/detail/completion_coroutine.hpp>

#include <atomic>
#include <coroutine>
#include <cstddef>
#include <span>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

class when_all_latch {
 public:
  explicit when_all_latch(std::size_t n) noexcept : count_(n + 1) {}

  std::coroutine_handle<> arrive() noexcept {
    if (count_.fetch_sub(1, std::memory_order_acq_rel) == 1) return awaiting_;
    return std::noop_coroutine();
  }

  struct done {
    when_all_latch* latch;
    template <class Handle>
    std::coroutine_handle<> operator()(Handle) const noexcept {
      return latch->arrive();
    }
  };
  using part = completion_coroutine<done>;

  // co_await latch.start(parts): starts every part, resumes when all have finished.
  auto start(std::span<part> parts) noexcept {
    struct awaiter {
      when_all_latch* latch;
      std::span<part> parts;
      bool await_ready() const noexcept { return false; }
      bool await_suspend(std::coroutine_handle<> self) noexcept {
        latch->awaiting_ = self;
        for (part& p : parts) p.handle().resume();
        // false: every task is already done, go on without suspending.
        return latch->count_.fetch_sub(1, std::memory_order_acq_rel) != 1;
      }
      void await_resume() const noexcept {}
    };
    return awaiter{this, parts};
  }

 private:
  std::atomic<std::size_t> count_;
  std::coroutine_handle<> awaiting_;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
