// Memory for context frames and task coroutine frames: a small per-thread cache of
// recently freed blocks in front of operator new.
//
// Binding a value (run, set, a task's enter_with) allocates one block and unbinding frees it,
// usually on the same thread a moment later; so does awaiting a child task (its coroutine
// frame, task_context.hpp). A thread-local free list per size class turns that pair into two
// pointer moves instead of a malloc/free round trip (~15 ns of a ~40 ns run). Bounds: blocks
// up to `max_cached_size` bytes in classes of `block_granule` bytes, at most
// `max_cached_per_class` blocks and `max_cached_bytes_per_class` bytes per class and thread
// (under 256 KiB per thread in all; a thread that only frees what others allocate stops
// caching there), all returned to operator delete when the thread exits.
//
// Sanitizer builds bypass the cache so that AddressSanitizer sees every use after free and
// ThreadSanitizer every handover.
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>
#include <cstdint>
#include <new>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define ASYNCCTX_BLOCK_CACHE 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define ASYNCCTX_BLOCK_CACHE 0
#endif
#endif
#if !defined(ASYNCCTX_BLOCK_CACHE)
#define ASYNCCTX_BLOCK_CACHE 1
#endif

namespace asyncctx::detail {

inline constexpr std::size_t block_granule = 64;
inline constexpr std::size_t block_classes = 16;  // 64, 128, ..., 1024 bytes
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

struct free_block_node {
  free_block_node* next;
};

struct block_cache {
  free_block_node* head[block_classes];
  std::uint32_t count[block_classes];
  bool cleanup_registered;
  bool thread_exiting;  // after the cleanup ran: free straight to operator delete
};

inline constinit thread_local block_cache t_block_cache{};

// Frees the thread's cached blocks at thread exit (registered on first use of the cache).
struct block_cache_cleanup {
  block_cache_cleanup() = default;
  block_cache_cleanup(const block_cache_cleanup&) = delete;
  block_cache_cleanup& operator=(const block_cache_cleanup&) = delete;
  ~block_cache_cleanup() {
    block_cache& c = t_block_cache;
    c.thread_exiting = true;
    for (std::size_t i = 0; i < block_classes; ++i) {
      while (free_block_node* n = c.head[i]) {
        c.head[i] = n->next;
        ::operator delete(n);
      }
      c.count[i] = 0;
    }
  }
};

ASYNCCTX_NOINLINE inline void register_block_cache_cleanup() noexcept {
  static thread_local block_cache_cleanup cleanup;  // NOLINT: its destructor is the point
  (void)cleanup;
  t_block_cache.cleanup_registered = true;
}

// The cache's size class of a block, or block_classes when it is not cached.
ASYNCCTX_ALWAYS_INLINE std::size_t block_class(std::size_t size, std::size_t align) noexcept {
  if (!ASYNCCTX_BLOCK_CACHE || align > __STDCPP_DEFAULT_NEW_ALIGNMENT__ || size > max_cached_size) {
    return block_classes;
  }
  return (size - 1) / block_granule;
}

inline void* allocate_block(std::size_t size, std::size_t align) {
  const std::size_t cls = block_class(size, align);
  if (cls < block_classes) {
    block_cache& c = t_block_cache;
    if (free_block_node* n = c.head[cls]) {
      c.head[cls] = n->next;
      --c.count[cls];
      return n;
    }
    return ::operator new((cls + 1) * block_granule);
  }
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) return ::operator new (size, std::align_val_t{align});
  return ::operator new(size);
}

inline void free_block(void* p, std::size_t size, std::size_t align) noexcept {
  const std::size_t cls = block_class(size, align);
  if (cls < block_classes) {
    block_cache& c = t_block_cache;
    if (c.count[cls] < block_class_capacity.of[cls] && !c.thread_exiting) {
      if (!c.cleanup_registered) [[unlikely]]
        register_block_cache_cleanup();
      auto* n = static_cast<free_block_node*>(p);
      n->next = c.head[cls];
      c.head[cls] = n;
      ++c.count[cls];
      return;
    }
    ::operator delete(p);
    return;
  }
  if (align > __STDCPP_DEFAULT_NEW_ALIGNMENT__) {
    ::operator delete (p, std::align_val_t{align});
  } else {
    ::operator delete(p);
  }
}

}  // namespace asyncctx::detail
