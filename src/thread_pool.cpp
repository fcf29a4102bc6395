#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/thread_pool.hpp>

#include <cstdio>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

thread_pool::thread_pool(std::size_t threads) {
  if (threads == 0) threads = 1;
  workers_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) workers_.emplace_back([this] { work(); });
}

thread_pool::~thread_pool() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  ready_.notify_all();
  for (auto& w : workers_) w.join();
  // Workers drain the queue before they leave, so nothing is left holding a context.
}

void thread_pool::push(detail::frame* context, detail::unique_function fn, bool skip_if_cancelled) {
  // Notified under the lock: once the lock is released a worker may run the job, and the job's
  // completion may let its owner destroy the pool (sync_wait on tasks that hop through it, then
  // the pool goes out of scope), so push must not touch the pool after that.
  std::lock_guard lock(mutex_);
  queue_.push_back(task{context, std::move(fn), skip_if_cancelled});
  ready_.notify_one();
}

void thread_pool::wait_idle() {
  std::unique_lock lock(mutex_);
  idle_.wait(lock, [this] { return queue_.empty() && running_ == 0; });
}

void thread_pool::work() {
  for (;;) {
    task t;
    {
      std::unique_lock lock(mutex_);
      ready_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      t = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    {
      // The task's reference goes to the thread; the guard releases it and puts the
      // worker's own (empty) context back, also if the task changed it.
      detail::context_swap in_context(std::exchange(t.context, nullptr));
      try {
        if (!t.skip_if_cancelled || !detail::frame_is_cancelled(detail::current_frame())) t.fn();
      } catch (...) {
        detail::report_error(error_kind::pool_task, "a function posted to a thread_pool threw",
                             std::current_exception());
      }
      t.fn = {};  // the task's captures die in its context, before the worker leaves it
    }
    {
      std::lock_guard lock(mutex_);
      --running_;
      if (running_ == 0 && queue_.empty()) idle_.notify_all();
    }
  }
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
