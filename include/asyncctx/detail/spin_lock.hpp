// detail::spin_lock: a lock for critical sections of a few instructions (a few pointer
// updates, one small copy), where a std::mutex's lock and unlock would cost more than the work.
// It spins on a relaxed load (no cache-line traffic while held), then yields to the scheduler
// after 64 tries, so a holder that was preempted is not starved. Meets BasicLockable, so
// std::lock_guard works. Never hold one across a callback, a blocking call or an allocation
// that may be large.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <atomic>
#include <thread>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

class spin_lock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0; locked_.exchange(true, std::memory_order_acquire); ++spins) {
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins > 64) std::this_thread::yield();
      }
    }
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
