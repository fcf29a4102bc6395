#include <asyncctx/async_hooks.hpp>
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/thread_state.hpp>

#include <cassert>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

std::atomic<int> g_enabled_hooks{0};

struct hook_state {
  explicit hook_state(hook_callbacks cb) : callbacks(std::move(cb)) {}
  hook_callbacks callbacks;
  std::atomic<bool> enabled{false};
  std::atomic<int> in_flight{0};  // callbacks of this hook running now, on any thread
};

// A hook callback running on this thread; the thread's list of them is innermost first
// (execution_state::running_hook_callbacks): disable() from inside a callback must not wait
// for itself. The nodes live on the stack of emit(), so emitting during thread exit (a value
// released then, whose destructor emits destroy) needs nothing that thread exit may already
// have destroyed.
struct running_hook_callback {
  const hook_state* hook;
  running_hook_callback* outer;
};

namespace {

using hook_list = std::vector<std::shared_ptr<hook_state>>;

struct registry {
  std::mutex mutex;
  std::shared_ptr<const hook_list> hooks = std::make_shared<const hook_list>();
};

registry& the_registry() {
  static registry r;  // NOLINT: process-wide by design
  return r;
}

// Invariant, under the registry lock: the count that hooks_enabled() reads is the number of
// registered hooks, and each hook is registered at most once.
void check_enabled_count([[maybe_unused]] const registry& r) noexcept {
  assert(static_cast<std::size_t>(g_enabled_hooks.load(std::memory_order_relaxed)) == r.hooks->size());
}

std::shared_ptr<const hook_list> enabled_hooks() {
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  return r.hooks;
}

int running_on_this_thread(const hook_state* hook) noexcept {
  int n = 0;
  for (const running_hook_callback* r = execution_state::here().running_hook_callbacks(); r != nullptr; r = r->outer) {
    n += r->hook == hook ? 1 : 0;
  }
  return n;
}

// Calls `invoke` with the callbacks of every enabled hook. Each call runs in a guard that
// keeps the current context and ids as they were, whatever the callback does.
template <class Invoke>
void emit(Invoke&& invoke) noexcept {
  std::shared_ptr<const hook_list> hooks;
  try {
    hooks = enabled_hooks();
  } catch (...) {
    return;
  }
  for (const auto& h : *hooks) {
    // seq_cst pairs with disable(): either disable sees this call in flight and waits for
    // it, or this call sees the hook disabled and skips it.
    h->in_flight.fetch_add(1, std::memory_order_seq_cst);
    if (h->enabled.load(std::memory_order_seq_cst)) {
      execution_state& state = execution_state::here();
      const async_id saved_id = state.execution_id();
      const async_id saved_trigger = state.trigger_id();
      frame* saved = capture_current();  // keeps the context alive whatever the callback does
      std::exception_ptr error;
      running_hook_callback running{h.get(), state.running_hook_callbacks()};
      state.running_hook_callbacks() = &running;
      try {
        invoke(h->callbacks);
      } catch (...) {
        error = std::current_exception();
      }
      state.running_hook_callbacks() = running.outer;
      if (state.context() != saved) {
        replace_current(saved);  // undo the callback's change; our reference goes to the thread
      } else {
        release(saved);
      }
      state.set_ids(saved_id, saved_trigger);
      if (error) report_error(error_kind::hook_callback, "exception in an async hook callback", error);
    }
    h->in_flight.fetch_sub(1, std::memory_order_seq_cst);
  }
}

}  // namespace

int enabled_hook_count() noexcept {
  registry& r = the_registry();
  std::lock_guard lock(r.mutex);
  check_enabled_count(r);
  return static_cast<int>(r.hooks->size());
}

void emit_init(async_id id, std::string_view type, async_id trigger, const void* resource) noexcept {
  emit([&](const hook_callbacks& cb) {
    if (cb.init) cb.init(id, type, trigger, resource);
  });
}
void emit_before(async_id id) noexcept {
  emit([&](const hook_callbacks& cb) {
    if (cb.before) cb.before(id);
  });
}
void emit_after(async_id id) noexcept {
  emit([&](const hook_callbacks& cb) {
    if (cb.after) cb.after(id);
  });
}
void emit_destroy(async_id id) noexcept {
  emit([&](const hook_callbacks& cb) {
    if (cb.destroy) cb.destroy(id);
  });
}
void emit_promise_resolve(async_id id) noexcept {
  emit([&](const hook_callbacks& cb) {
    if (cb.promise_resolve) cb.promise_resolve(id);
  });
}

}  // namespace detail

async_hook create_hook(hook_callbacks callbacks) {
  return async_hook(std::make_shared<detail::hook_state>(std::move(callbacks)));
}

async_hook& async_hook::enable() {
  if (!state_) return *this;
  detail::registry& r = detail::the_registry();
  std::lock_guard lock(r.mutex);
  // Tested under the lock: two threads enabling the same hook at once register it once.
  if (state_->enabled.load(std::memory_order_relaxed)) return *this;
  auto next = std::make_shared<detail::hook_list>(*r.hooks);
  next->push_back(state_);
  r.hooks = std::move(next);
  state_->enabled.store(true, std::memory_order_seq_cst);
  detail::g_enabled_hooks.fetch_add(1, std::memory_order_relaxed);
  detail::check_enabled_count(r);
  return *this;
}

async_hook& async_hook::disable() {
  if (!state_) return *this;
  {
    detail::registry& r = detail::the_registry();
    std::lock_guard lock(r.mutex);
    if (!state_->enabled.load(std::memory_order_relaxed)) return *this;
    state_->enabled.store(false, std::memory_order_seq_cst);
    auto next = std::make_shared<detail::hook_list>(*r.hooks);
    std::erase(*next, state_);
    r.hooks = std::move(next);
    detail::g_enabled_hooks.fetch_sub(1, std::memory_order_relaxed);
    detail::check_enabled_count(r);
  }
  // Wait for callbacks already running on other threads; ours (if disable is called from
  // inside a callback of this very hook) are further up this thread's stack.
  const int mine = detail::running_on_this_thread(state_.get());
  while (state_->in_flight.load(std::memory_order_seq_cst) > mine) std::this_thread::yield();
  return *this;
}

bool async_hook::enabled() const noexcept { return state_ && state_->enabled.load(); }

async_hook& async_hook::operator=(async_hook&& other) noexcept {
  if (this != &other) {
    disable();
    state_ = std::move(other.state_);
  }
  return *this;
}

async_hook::~async_hook() { disable(); }

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
