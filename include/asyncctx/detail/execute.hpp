// Hands a function to an executor through whichever of execute(f) / post(f) it has (the
// two spellings of asyncctx::thread_pool::executor_type, context_executor, Asio executors
// and most hand-written queues).
#pragma once

#include <asyncctx/detail/config.hpp>

#include <coroutine>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

struct probe_fn {
  void operator()() const {}
};
template <class Ex>
concept has_execute = requires(Ex& ex) { ex.execute(probe_fn{}); };
template <class Ex>
concept has_post = requires(Ex& ex) { ex.post(probe_fn{}); };

template <class Ex>
concept executor = has_execute<Ex> || has_post<Ex>;

template <class Ex, class F>
void execute_on(Ex& ex, F&& f) {
  if constexpr (has_execute<Ex>) {
    ex.execute(std::forward<F>(f));
  } else {
    ex.post(std::forward<F>(f));
  }
}

// Resumes a coroutine when called. Copyable, so that executors storing std::function work.
struct resume_handle {
  std::coroutine_handle<> coro;
  void operator()() const { coro.resume(); }
};

// Resumes an owned coroutine when called; destroys it if the executor drops the function
// without calling it (shutdown), so a detached frame is never leaked. Move-only.
class resume_or_destroy {
 public:
  explicit resume_or_destroy(std::coroutine_handle<> coro) noexcept : coro_(coro) {}
  resume_or_destroy(resume_or_destroy&& o) noexcept : coro_(std::exchange(o.coro_, {})) {}
  resume_or_destroy& operator=(resume_or_destroy&&) = delete;
  ~resume_or_destroy() {
    if (coro_) coro_.destroy();
  }
  void operator()() { std::exchange(coro_, {}).resume(); }

 private:
  std::coroutine_handle<> coro_;
};

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
