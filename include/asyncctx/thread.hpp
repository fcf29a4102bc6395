// asyncctx::thread: std::jthread whose body starts in the creator's context.
//
// C++ threads share memory, so, as in .NET, context flows into a thread started from it:
// the body sees every variable bound where the thread was constructed. Changes the body
// makes stay in the thread. Like std::jthread, the destructor requests stop and joins, and
// a body whose first parameter is std::stop_token receives the thread's token.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/snapshot.hpp>

#include <functional>
#include <stop_token>
#include <thread>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

class thread {
 public:
  using id = std::jthread::id;
  using native_handle_type = std::jthread::native_handle_type;

  thread() noexcept = default;

  template <class F, class... Args>
    requires(!std::is_same_v<std::remove_cvref_t<F>, thread>)
  explicit thread(F&& f, Args&&... args)
      : impl_([ctx = asyncctx::snapshot{}, fn = std::decay_t<F>(std::forward<F>(f)),
               ... a = std::decay_t<Args>(std::forward<Args>(args))](std::stop_token token) mutable {
          ctx.run([&] {
            if constexpr (std::is_invocable_v<std::decay_t<F>, std::stop_token, std::decay_t<Args>...>) {
              std::invoke(std::move(fn), std::move(token), std::move(a)...);
            } else {
              std::invoke(std::move(fn), std::move(a)...);
            }
          });
        }) {}

  thread(thread&&) noexcept = default;
  thread& operator=(thread&&) noexcept = default;

  bool joinable() const noexcept { return impl_.joinable(); }
  void join() { impl_.join(); }
  void detach() { impl_.detach(); }
  id get_id() const noexcept { return impl_.get_id(); }
  native_handle_type native_handle() { return impl_.native_handle(); }
  std::stop_source get_stop_source() noexcept { return impl_.get_stop_source(); }
  std::stop_token get_stop_token() const noexcept { return impl_.get_stop_token(); }
  bool request_stop() noexcept { return impl_.request_stop(); }
  void swap(thread& other) noexcept { impl_.swap(other.impl_); }
  static unsigned hardware_concurrency() noexcept { return std::jthread::hardware_concurrency(); }

 private:
  std::jthread impl_;
};

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
