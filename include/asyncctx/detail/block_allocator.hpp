// Memory for context frames: a small per-thread cache of recently freed blocks in front of
// operator new.
//
// Binding a value (run, set, a task's enter_with) allocates one block and unbinding frees it,
// usually on the same thread a moment later. A thread-local free list per size class turns
// that pair into two pointer moves instead of a malloc/free round trip (~15 ns of a ~40 ns
// run). Bounds: blocks up to `max_cached_size` bytes, at most `max_cached_per_class` per
// class and thread (a thread that only frees what others allocate stops caching there), all
// returned to operator delete when the thread exits.
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
inline constexpr std::size_t block_classes = 4;  // 64, 128, 192, 256 bytes
inline constexpr std::size_t max_cached_size = block_granule * block_classes;
inline constexpr std::uint32_t max_cached_per_class = 64;

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
    if (c.count[cls] < max_cached_per_class && !c.thread_exiting) {
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
