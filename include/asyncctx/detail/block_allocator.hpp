// Memory for context frames and task coroutine frames: a small per-thread cache of
// recently freed blocks in front of operator new.
//
// Binding a value (run, set, a task's enter_with) allocates one block and unbinding frees it,
// usually on the same thread a moment later; so does awaiting a child task (its coroutine
// frame, task_context.hpp). A thread-local free list per size class turns that pair into two
// pointer moves instead of a malloc/free round trip. Bounds: blocks up to `max_cached_size`
// bytes in classes of `block_granule` bytes, at most `max_cached_per_class` blocks and
// `max_cached_bytes_per_class` bytes per class and thread (under 256 KiB per thread in all; a
// thread that only frees what others allocate stops caching there), all returned to operator
// delete when the thread exits. The cache lives in the thread's execution_state.
//
// The cache is on in every build, sanitized ones included, so that the sanitizers test the
// allocation path production runs. Under AddressSanitizer a cached block is poisoned while it
// waits in the cache, and the tail of a handed-out block beyond the size asked for stays
// poisoned: a use after free of a cached block, or an overflow into the rest of its class, is
// reported as it would be without the cache.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/execution_state.hpp>

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__)
#define ASYNCCTX_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ASYNCCTX_ASAN 1
#endif
#endif
#if defined(ASYNCCTX_ASAN)
#include <sanitizer/asan_interface.h>
#define ASYNCCTX_POISON(p, n) ASAN_POISON_MEMORY_REGION((p), (n))
#define ASYNCCTX_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION((p), (n))
#else
#define ASYNCCTX_POISON(p, n) ((void)(p), (void)(n))
#define ASYNCCTX_UNPOISON(p, n) ((void)(p), (void)(n))
#endif

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

inline constexpr std::size_t max_cached_size = block_granule * block_classes;
inline constexpr std::uint32_t max_cached_per_class = 64;
inline constexpr std::size_t max_cached_bytes_per_class = std::size_t{16} * 1024;

// How many blocks of class `cls` a thread keeps at most.
inline constexpr std::uint32_t class_capacity(std::size_t cls) noexcept {
  const std::size_t by_bytes = max_cached_bytes_per_class / ((cls + 1) * block_granule);
  return by_bytes < max_cached_per_class ? static_cast<std::uint32_t>(by_bytes) : max_cached_per_class;
}

struct block_class_capacities {
  std::uint32_t of[block_classes];
};
inline constexpr block_class_capacities block_class_capacity = [] {
  block_class_capacities caps{};
  for (std::size_t cls = 0; cls < block_classes; ++cls) caps.of[cls] = class_capacity(cls);
  return caps;
}();

inline constexpr std::size_t max_cached_bytes_per_thread = [] {
  std::size_t total = 0;
  for (std::size_t cls = 0; cls < block_classes; ++cls) total += class_capacity(cls) * (cls + 1) * block_granule;
  return total;
}();
static_assert(max_cached_bytes_per_thread <= std::size_t{256} * 1024,
              "a thread must not hoard more than 256 KiB of blocks");

// Registers the thread-exit action that frees the thread's cached blocks (src).
ASYNCCTX_API void register_block_cache_cleanup() noexcept;

// The cache's size class of a block, or block_classes when it is not cached.
ASYNCCTX_ALWAYS_INLINE std::size_t block_class(std::size_t size, std::size_t align) noexcept {
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__ || size > max_cached_size) return block_classes;
  return (size - 1) / block_granule;
}

inline void* allocate_block(std::size_t size, std::size_t align) {
  const std::size_t cls = block_class(size, align);
  if (cls < block_classes) {
    block_cache& c = execution_state::here().blocks();
    if (free_block_node* n = c.head[cls]) {
      ASYNCCTX_UNPOISON(n, sizeof(free_block_node));
      c.head[cls] = n->next;
      --c.count[cls];
      ASYNCCTX_UNPOISON(n, size);
      return n;
    }
    void* p = ::operator new((cls + 1) * block_granule);
    ASYNCCTX_POISON(static_cast<char*>(p) + size, (cls + 1) * block_granule - size);
    return p;
  }
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new(size, std::align_val_t{align});
  return ::operator new(size);
}

inline void free_block(void* p, std::size_t size, std::size_t align) noexcept {
  const std::size_t cls = block_class(size, align);
  if (cls < block_classes) {
    block_cache& c = execution_state::here().blocks();
    if (c.count[cls] < block_class_capacity.of[cls] && !c.thread_exiting) {
      if (!c.cleanup_registered) [[unlikely]]
        register_block_cache_cleanup();
      ASYNCCTX_UNPOISON(p, sizeof(free_block_node));
      auto* n = static_cast<free_block_node*>(p);
      n->next = c.head[cls];
      c.head[cls] = n;
      ++c.count[cls];
      ASYNCCTX_POISON(p, (cls + 1) * block_granule);
      return;
    }
    ASYNCCTX_UNPOISON(p, (cls + 1) * block_granule);
    ::operator delete(p);
    return;
  }
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    ::operator delete(p, std::align_val_t{align});
  } else {
    ::operator delete(p);
  }
}

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
