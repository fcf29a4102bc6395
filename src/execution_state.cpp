// The definition of the thread's execution state, and the thread-exit actions that release
// what a thread still holds when it ends.
#include <asyncctx/detail/block_allocator.hpp>
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/execution_state.hpp>
#include <asyncctx/detail/frame.hpp>

#include <atomic>
#include <cstdint>
#include <string>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

constinit thread_local execution_state t_execution_state{};

std::atomic<long> g_live_frames{0};

namespace {

// Keys identify variables inside frames. They are never reused: a frame that outlives its
// variable keeps an entry nobody can name, and a new variable can never see it. The first
// key, key_step, is reserved for the cancellation entry (detail/cancel_node.hpp).
std::atomic<std::uint64_t> g_next_key{2 * key_step};

// Stamps and async ids come from process-wide counters in blocks of 1024 per thread. Async
// ids start at 2 (1 is the top level); stamps at 1 (0 means "none").
constexpr std::uint64_t number_block_size = 1024;
std::atomic<std::uint64_t> g_next_stamp_block{1};
std::atomic<std::uint64_t> g_next_async_id_block{2};

// Releases the context a thread still has current when it ends (left by enter_with or a
// scope never restored), and with it the thread's spare, which is only ever that frame.
struct release_at_thread_exit {
  release_at_thread_exit() = default;
  release_at_thread_exit(const release_at_thread_exit&) = delete;
  release_at_thread_exit& operator=(const release_at_thread_exit&) = delete;
  ~release_at_thread_exit() {
    execution_state& state = execution_state::here();
    release(state.take_current_for_exit());
    frame* spare = state.thread_spare();  // null: release() dropped it with the current frame
    state.set_thread_spare(nullptr);
    release(spare);
  }
};

// Frees the thread's cached blocks when it ends; blocks freed after that go straight to
// operator delete.
struct block_cache_cleanup {
  block_cache_cleanup() = default;
  block_cache_cleanup(const block_cache_cleanup&) = delete;
  block_cache_cleanup& operator=(const block_cache_cleanup&) = delete;
  ~block_cache_cleanup() {
    block_cache& c = execution_state::here().blocks();
    c.thread_exiting = true;
    for (std::size_t i = 0; i < block_classes; ++i) {
      while (free_block_node* n = c.head[i]) {
        ASYNCCTX_UNPOISON(n, (i + 1) * block_granule);
        c.head[i] = n->next;
        ::operator delete(n);
      }
      c.count[i] = 0;
    }
  }
};

}  // namespace

std::uint64_t new_key() noexcept { return g_next_key.fetch_add(key_step, std::memory_order_relaxed); }

std::uint64_t take_number_block(number_block& block, bool async_ids) noexcept {
  std::atomic<std::uint64_t>& source = async_ids ? g_next_async_id_block : g_next_stamp_block;
  const std::uint64_t first = source.fetch_add(number_block_size, std::memory_order_relaxed);
  block = number_block{first + 1, first + number_block_size};
  return first;
}

// Each action is a function-local thread_local: constructed on the thread's first need,
// destroyed at its exit. Both only touch the execution state, which is trivially
// destructible and so still there, whichever is destroyed first.
void register_release_at_thread_exit() noexcept {
  static thread_local release_at_thread_exit action;  // NOLINT: its destructor is the point
  (void)action;
  execution_state::here().mark_exit_release_registered();
}

void register_block_cache_cleanup() noexcept {
  static thread_local block_cache_cleanup cleanup;  // NOLINT: its destructor is the point
  (void)cleanup;
  execution_state::here().blocks().cleanup_registered = true;
}

void report_state_misuse(const char* call) noexcept {
  report_misuse(std::string(call) +
                " without a matching install/enter on this thread (a region put back twice, or on another thread "
                "than the one it was installed on)");
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
