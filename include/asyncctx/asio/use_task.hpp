// asyncctx::asio::use_task: a completion token that lets an asyncctx::task (or any C++20
// coroutine) co_await any Asio asynchronous operation directly.
//
//   asyncctx::task<std::size_t> read_some(tcp::socket& s, std::span<char> buf) {
//     co_return co_await s.async_read_some(boost::asio::buffer(buf), asyncctx::asio::use_task);
//   }
//
// The initiating function returns an awaitable; the operation starts when it is awaited and
// the coroutine resumes from the completion handler. Results, as with use_awaitable: an
// error_code or exception_ptr first argument is thrown (boost::system::system_error / the
// exception) instead of returned; the remaining arguments are returned — nothing, one value,
// or a std::tuple of them.
//
// Context: the operation is started in the context (and under the async ids) current where the
// awaitable was made — the task's own — so the handler-tracking hook and async_hooks attribute
// it to the task; the task itself installs its context again on resume (task.hpp), so it keeps
// its bindings whichever thread completes the operation. Works without the tracking hook.
//
// Cancellation (cancellation.hpp, operation_cancellation.hpp): when that context can be
// cancelled, cancelling it (or its deadline passing) cancels the operation through Asio's
// cancellation slot, and the co_await throws boost::system::system_error(operation_aborted).
// In a context already cancelled, an operation whose completion starts with an error_code is
// not started at all: the co_await throws at once.
//
// Lifetime: the awaiting coroutine must not be destroyed while the operation is pending. If the
// operation's handler is destroyed without being called (its io_context destroyed first), the
// coroutine is never resumed, as with use_awaitable.
// Thread-safety: the awaitable is used once, by the awaiting coroutine; the handler may run
// on any thread.
#pragma once

#include <asyncctx/asio/operation_cancellation.hpp>
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/snapshot.hpp>

#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/error.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/system_error.hpp>

#include <coroutine>
#include <exception>
#include <memory>
#include <optional>
#include <tuple>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {

struct use_task_t {
  constexpr use_task_t() noexcept = default;
};

// The token: `op.async_x(args..., asyncctx::asio::use_task)`.
inline constexpr use_task_t use_task{};

namespace detail {

template <class... Values>
struct task_result {
  static auto get(std::tuple<Values...>&& v) { return std::move(v); }
};
template <>
struct task_result<> {
  static void get(std::tuple<>&&) noexcept {}
};
template <class V>
struct task_result<V> {
  static V get(std::tuple<V>&& v) { return std::move(std::get<0>(v)); }
};

// Splits an error_code / exception_ptr first argument from the values.
template <class... Args>
struct task_completion {
  using values = std::tuple<Args...>;
  static constexpr bool has_error = false;
};
template <class... Args>
struct task_completion<boost::system::error_code, Args...> {
  using values = std::tuple<Args...>;
  static constexpr bool has_error = true;
  static void check(const boost::system::error_code& ec) {
    if (ec) throw boost::system::system_error(ec);
  }
};
template <class... Args>
struct task_completion<std::exception_ptr, Args...> {
  using values = std::tuple<Args...>;
  static constexpr bool has_error = true;
  static void check(const std::exception_ptr& e) {
    if (e) std::rethrow_exception(e);
  }
};

// The state shared by an awaitable and its handler; lives in the awaiting coroutine's frame.
template <class... Args>
struct task_slot {
  std::optional<std::tuple<std::decay_t<Args>...>> result;
  std::coroutine_handle<> waiter;
};

// The completion handler: stores the result, then resumes the coroutine (on the completing
// thread). Invariant: called at most once; after resume() it touches nothing.
template <class... Args>
class task_handler {
 public:
  task_handler(task_slot<Args...>* slot, std::shared_ptr<operation_cancellation> cancellation) noexcept
      : slot_(slot), cancellation_(std::move(cancellation)) {}
  task_handler(task_handler&& other) noexcept
      : slot_(std::exchange(other.slot_, nullptr)), cancellation_(std::move(other.cancellation_)) {}
  task_handler(const task_handler&) = delete;
  task_handler& operator=(const task_handler&) = delete;
  task_handler& operator=(task_handler&&) = delete;

  template <class... A>
  void operator()(A&&... args) {
    if (cancellation_) cancellation_->finish();
    task_slot<Args...>* slot = std::exchange(slot_, nullptr);
    slot->result.emplace(std::forward<A>(args)...);
    slot->waiter.resume();
  }

  // The associated cancellation slot (Asio asks the handler for it at initiation).
  using cancellation_slot_type = boost::asio::cancellation_slot;
  cancellation_slot_type get_cancellation_slot() const noexcept {
    return cancellation_ ? cancellation_->slot() : cancellation_slot_type();
  }

 private:
  task_slot<Args...>* slot_;
  std::shared_ptr<operation_cancellation> cancellation_;
};

template <class Initiation, class Signature, class... InitArgs>
class use_task_awaitable;

template <class Initiation, class... Args, class... InitArgs>
class use_task_awaitable<Initiation, void(Args...), InitArgs...> {
  using completion = task_completion<std::decay_t<Args>...>;

 public:
  template <class I, class... A>
  explicit use_task_awaitable(I&& initiation, A&&... args)
      : initiation_(std::forward<I>(initiation)),
        args_(std::forward<A>(args)...),
        exec_id_(asyncctx::execution_async_id()),
        trigger_id_(asyncctx::trigger_async_id()) {}

  // In a context already cancelled, an operation that reports errors is not started.
  bool await_ready() noexcept {
    if constexpr (completion::has_error && std::is_default_constructible_v<std::tuple<std::decay_t<Args>...>> &&
                  std::is_same_v<std::tuple_element_t<0, std::tuple<std::decay_t<Args>...>>,
                                 boost::system::error_code>) {
      if (context_.run([] { return asyncctx::cancelled(); })) {
        slot_.result.emplace();
        std::get<0>(*slot_.result) = boost::asio::error::operation_aborted;
        return true;
      }
    }
    return false;
  }

  void await_suspend(std::coroutine_handle<> waiter) {
    slot_.waiter = waiter;
    // Everything the initiation needs is moved to this stack frame first: once the operation
    // is queued, another thread may complete it and resume (even destroy) the coroutine, and
    // with it this awaitable.
    asyncctx::snapshot context = std::move(context_);
    Initiation initiation = std::move(initiation_);
    std::tuple<InitArgs...> args = std::move(args_);
    const async_id exec_id = exec_id_, trigger_id = trigger_id_;
    // Start the operation where the awaitable was made: in the task's context and async ids
    // (an asyncctx::task has parked them before calling us).
    std::shared_ptr<operation_cancellation> cancellation;
    context.run([&] {
      cancellation = operation_cancellation::for_context(asyncctx::detail::current_frame());
      task_handler<std::decay_t<Args>...> handler(&slot_, cancellation);
      asyncctx::detail::async_ids_scope ids(exec_id, trigger_id);
      std::apply([&](auto&&... a) { std::move(initiation)(std::move(handler), std::move(a)...); }, std::move(args));
    });
    if (cancellation) operation_cancellation::arm(cancellation);
  }

  auto await_resume() {
    auto& all = *slot_.result;
    if constexpr (completion::has_error) {
      completion::check(std::get<0>(all));
      return std::apply(
          [](auto&&, auto&&... values) {
            return task_result<std::decay_t<decltype(values)>...>::get(std::tuple(std::move(values)...));
          },
          std::move(all));
    } else {
      return task_result<std::decay_t<Args>...>::get(std::move(all));
    }
  }

 private:
  Initiation initiation_;
  std::tuple<InitArgs...> args_;
  asyncctx::snapshot context_;  // captured where the awaitable was made
  async_id exec_id_, trigger_id_;
  task_slot<std::decay_t<Args>...> slot_;
};

}  // namespace detail
}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx

namespace boost::asio {

template <BOOST_ASIO_COMPLETION_SIGNATURE Signature>
class async_result<::asyncctx::asio::use_task_t, Signature> {
 public:
  template <class Initiation, class RawCompletionToken, class... Args>
  static auto initiate(Initiation&& initiation, RawCompletionToken&&, Args&&... args) {
    return ::asyncctx::asio::detail::use_task_awaitable<std::decay_t<Initiation>, Signature, std::decay_t<Args>...>(
        std::forward<Initiation>(initiation), std::forward<Args>(args)...);
  }
};

}  // namespace boost::asio
