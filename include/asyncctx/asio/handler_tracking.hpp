// Boost.Asio custom handler tracking that carries asyncctx context (and async_hooks ids)
// from where every asynchronous operation is started to where its handler runs.
//
// Asio includes this header itself when BOOST_ASIO_CUSTOM_HANDLER_TRACKING names it; the
// asyncctx::asio CMake target adds that definition, so users only link the target and
// change no call site. The definition must be the same in every translation unit of a
// program that includes Asio (it changes the layout of Asio's operation objects).
//
// How Asio drives it (boost/asio/detail/handler_tracking.hpp):
//   * every queued operation (scheduler_operation, and so every timer, socket, resolver,
//     signal, post/dispatch/defer, strand, thread_pool and co_spawn step) derives from
//     `tracked_handler`;
//   * BOOST_ASIO_HANDLER_CREATION runs on the initiating thread right after the operation
//     object is built and before it is published to any queue: we take one reference to the
//     current context there (and, when hooks are on, give the operation an id and emit init);
//   * BOOST_ASIO_HANDLER_COMPLETION declares a local `tracked_completion` in the operation's
//     do_complete, before the operation's memory is freed or recycled: it takes the reference
//     (and the id) out of the operation, so nothing dangles when Asio reuses the memory;
//   * BOOST_ASIO_HANDLER_INVOCATION_BEGIN / END bracket the upcall: the captured context is
//     installed, and the thread's own context is put back afterwards — by the destructor if
//     the handler throws. Invocations nest (a strand runs its handlers inside its invoker; a
//     handler may run another inline): each completion is a stack object, so they unwind LIFO.
// An operation destroyed without being invoked (io_context shut down, an initiation that
// throws) releases its reference in the completion's or the operation's destructor.
//
// Thread-safety: an operation's tracking state is written only by its initiating thread before
// Asio publishes the operation (under Asio's own synchronisation) and read only by the thread
// that completes it; frames are reference counted atomically, and a thread's spare reference
// (frame.hpp) is only touched by that thread. Nothing here takes a lock.
#pragma once

#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/frame.hpp>
#include <asyncctx/detail/hook_events.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <chrono>
#include <cstdint>
#include <cstring>
#include <new>
#include <string_view>
#include <type_traits>
#include <utility>

namespace boost::asio {
class execution_context;
}  // namespace boost::asio

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio::detail {

namespace core = ::asyncctx::detail;

class tracked_completion;
struct handler_tracking;

// What an operation created while a hook was enabled carries besides its context: its async
// id and its trigger, then, while its handler runs, the ids it replaced on the thread. It
// lives apart from the operation so that every operation (hooks or not) grows by two words
// only and every handler's path keeps one test of one pointer for all of it.
struct hooked_operation {
  async_id id;
  async_id trigger;
  async_id saved_execution = 0;
  async_id saved_trigger = 0;
};

// Base of every Asio operation. Invariant: between creation and completion, `frame_` owns one
// reference to the context current at creation (null = the empty context, or an operation
// Asio never announced, such as its internal reactor and task operations), and `hooked_` is
// the operation's hook state (null when hooks were off at creation), owned too.
class tracked_handler {
 protected:
  tracked_handler() noexcept = default;
  // Operations are never copied by Asio; a copy must not share the references it owns.
  tracked_handler(const tracked_handler&) noexcept {}
  tracked_handler& operator=(const tracked_handler&) noexcept { return *this; }
  ~tracked_handler() {
    if (frame_ != nullptr || hooked_ != nullptr) [[unlikely]]
      abandon(frame_, hooked_);
  }

 private:
  friend class tracked_completion;
  friend struct handler_tracking;

  // Releases what an operation owns that was never invoked: destroyed between creation and
  // completion (an initiation that threw after creation), or completed without an upcall
  // (io_context shut down, destroyed with work queued).
  static ASYNCCTX_NOINLINE void abandon(core::frame* frame, hooked_operation* hooked) noexcept {
    core::release(frame);
    if (hooked != nullptr) {
      if (core::hooks_enabled()) core::emit_destroy(hooked->id);
      delete hooked;
    }
  }

  core::frame* frame_ = nullptr;
  hooked_operation* hooked_ = nullptr;
};

// The hook type of an operation: "<object>.<operation>" from Asio's names, with Asio's
// parenthesised details dropped ("thread_pool.execute(blk=never,rel=fork)" becomes
// "thread_pool.execute") and timers named after their clock ("deadline_timer.async_wait" of
// a steady clock timer becomes "steady_timer.async_wait").
template <class Object>
const char* timer_object_name(const Object* object) noexcept {
  if constexpr (requires { object->expiry.time_since_epoch(); }) {
    using clock = typename std::remove_cvref_t<decltype(object->expiry)>::clock;
    if constexpr (std::is_same_v<clock, std::chrono::steady_clock>) {
      return "steady_timer";
    } else if constexpr (std::is_same_v<clock, std::chrono::system_clock>) {
      return "system_timer";
    } else if constexpr (std::is_same_v<clock, std::chrono::high_resolution_clock>) {
      return "high_resolution_timer";
    } else {
      return "basic_waitable_timer";
    }
  } else {
    return nullptr;
  }
}

inline std::size_t append_name(char* out, std::size_t at, std::size_t cap, const char* s) noexcept {
  for (; *s != '\0' && *s != '(' && at < cap; ++s) out[at++] = *s;
  return at;
}

struct handler_tracking {
  template <class Op, class Object>
  static ASYNCCTX_ALWAYS_INLINE void creation(::boost::asio::execution_context&, Op& op, const char* object_type,
                                              Object object, std::uintmax_t, const char* op_name) noexcept {
    tracked_handler& h = op;  // a new operation: Asio announces each one once
    h.frame_ = core::capture_current_or_spare();
    if (core::hooks_enabled()) [[unlikely]] {
      announce(h, timer_name(object_type, object), op_name, &op);
    }
  }

  template <class Object>
  static const char* timer_name(const char* object_type, Object object) noexcept {
    if constexpr (std::is_pointer_v<Object>) {
      if (std::strcmp(object_type, "deadline_timer") == 0) {
        if (const char* name = timer_object_name(object)) return name;
      }
    }
    return object_type;
  }

  // Cold path: only with hooks enabled. Without memory for the hook state the operation
  // still carries its context; it is then only invisible to the hooks.
  static ASYNCCTX_NOINLINE void announce(tracked_handler& h, const char* object_name, const char* op_name,
                                         const void* resource) noexcept {
    h.hooked_ = new (std::nothrow) hooked_operation{core::new_async_id(), core::execution_state::here().execution_id()};
    if (h.hooked_ == nullptr) return;
    char type[128];
    std::size_t n = append_name(type, 0, sizeof type, object_name);
    if (n < sizeof type) type[n++] = '.';
    n = append_name(type, n, sizeof type, op_name);
    core::emit_init(h.hooked_->id, std::string_view(type, n), h.hooked_->trigger, resource);
  }
};

// Lives on the stack of an operation's do_complete (BOOST_ASIO_HANDLER_COMPLETION) and owns the
// operation's tracking state from then on. Invariant: while `stage_ == invoked`, the thread's
// current context is the operation's (or what its handler made of it) and `saved_` is the
// thread's own context, owned by this object until it is put back.
//
// Every out-of-line path takes plain values, never `this`: the object's address is then never
// taken, so the compiler keeps it in registers and folds the stage checks away on the path
// every handler takes (a spilled object cost each hop a dozen stores and loads).
class tracked_completion {
 public:
  explicit ASYNCCTX_ALWAYS_INLINE tracked_completion(tracked_handler& h) noexcept
      : frame_(std::exchange(h.frame_, nullptr)), hooked_(std::exchange(h.hooked_, nullptr)) {}
  tracked_completion(const tracked_completion&) = delete;
  tracked_completion& operator=(const tracked_completion&) = delete;

  // After a normal invocation there is nothing left to do here: invocation_end has put the
  // context back and, with hooks, reported after and destroy.
  ASYNCCTX_ALWAYS_INLINE ~tracked_completion() {
    if (stage_ == stage::invoked) [[unlikely]] {
      end(frame_, saved_, hooked_);  // the handler threw
    } else if (stage_ == stage::created) [[unlikely]] {
      tracked_handler::abandon(frame_, hooked_);  // completed without an upcall
    }
  }

  // Installs the operation's context (handing the operation's reference to the thread) and
  // makes the operation the executing async resource. Arguments are the handler's, unused.
  template <class... Args>
  ASYNCCTX_ALWAYS_INLINE void invocation_begin(const Args&...) noexcept {
    stage_ = stage::invoked;
    if (hooked_ != nullptr) [[unlikely]]
      begin_hooked(*hooked_);
    saved_ = core::execution_state::here().install(frame_);
  }

  ASYNCCTX_ALWAYS_INLINE void invocation_end() noexcept {
    stage_ = stage::ended;
    end(frame_, saved_, hooked_);
  }

 private:
  // Puts the thread's own context `saved` back and releases whatever the handler left current
  // (the operation's context `installed`, or one an enter_with inside it made): values are
  // destroyed in the thread's own context, as with context_swap. When that is the thread's
  // own context, the reference is kept as the thread's spare for the next operation created in
  // it (chains of handlers in one context then touch no reference count; thread_state.hpp).
  static ASYNCCTX_ALWAYS_INLINE void end(core::frame* installed, core::frame* saved,
                                         hooked_operation* hooked) noexcept {
    core::frame* now = core::execution_state::here().put_back(saved);
    core::note_region_end(installed, now);
    core::release_or_keep_as_spare(now);
    if (hooked != nullptr) [[unlikely]]
      end_hooked(hooked);
  }

  // The async-hooks side, out of the way of every handler's path: it runs only for
  // operations created while a hook was enabled.
  static ASYNCCTX_NOINLINE void begin_hooked(hooked_operation& op) noexcept {
    core::execution_state& state = core::execution_state::here();
    op.saved_execution = state.execution_id();
    op.saved_trigger = state.trigger_id();
    state.set_ids(op.id, op.trigger);
    if (core::hooks_enabled()) core::emit_before(op.id);
  }

  static ASYNCCTX_NOINLINE void end_hooked(hooked_operation* op) noexcept {
    if (core::hooks_enabled()) core::emit_after(op->id);
    core::execution_state::here().set_ids(op->saved_execution, op->saved_trigger);
    if (core::hooks_enabled()) core::emit_destroy(op->id);
    delete op;
  }

  enum class stage : unsigned char { created, invoked, ended };

  core::frame* frame_;
  hooked_operation* hooked_;
  core::frame* saved_ = nullptr;
  stage stage_ = stage::created;
};

}  // namespace asio::detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx

// The macros Asio requires of a custom tracking header. Those with nothing to record for
// context propagation expand to nothing.
#define BOOST_ASIO_INHERIT_TRACKED_HANDLER : public ::asyncctx::asio::detail::tracked_handler
#define BOOST_ASIO_ALSO_INHERIT_TRACKED_HANDLER , public ::asyncctx::asio::detail::tracked_handler
#define BOOST_ASIO_HANDLER_TRACKING_INIT (void)0
#define BOOST_ASIO_HANDLER_LOCATION(args) (void)0
#define BOOST_ASIO_HANDLER_CREATION(args) ::asyncctx::asio::detail::handler_tracking::creation args
#define BOOST_ASIO_HANDLER_COMPLETION(args) ::asyncctx::asio::detail::tracked_completion tracked_completion args
#define BOOST_ASIO_HANDLER_INVOCATION_BEGIN(args) tracked_completion.invocation_begin args
#define BOOST_ASIO_HANDLER_INVOCATION_END tracked_completion.invocation_end()
#define BOOST_ASIO_HANDLER_OPERATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_REGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_DEREGISTRATION(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_READ_EVENT 1
#define BOOST_ASIO_HANDLER_REACTOR_WRITE_EVENT 2
#define BOOST_ASIO_HANDLER_REACTOR_ERROR_EVENT 4
#define BOOST_ASIO_HANDLER_REACTOR_EVENTS(args) (void)0
#define BOOST_ASIO_HANDLER_REACTOR_OPERATION(args) (void)0
