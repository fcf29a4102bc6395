// The context frame: an immutable, reference-counted map from variable key to value.
//
// A frame is never changed after it is built. Binding a variable builds a new frame (old
// entries + one), so whoever holds the old frame keeps seeing what it saw. The empty context
// is the null pointer.
//
// Layout: one allocation holds the header, an open-addressed hash table of `entry` (linear
// probing, capacity a power of two, load <= 3/4 so a probe always meets an empty slot) and,
// for a frame built by binding a value, the box holding that value. Keys are unique 64-bit
// numbers that are never reused, so `key & mask` spreads variables made one after another
// perfectly and a stale key (of a destroyed variable) can never match a live one.
//
// Values live in `value_box`es with their own reference count, because a value is shared by
// every frame derived from the one that bound it. A box placed in its frame's allocation
// keeps that allocation alive until the box goes: when the frame dies it releases its
// entries (its own box among them), and the memory is freed by whoever drops the box last.
// So binding a value costs exactly one allocation, and a frame never keeps another frame or
// an overridden value alive.
//
// Thread-safety: frames are immutable; reference counts are atomic. A count is decremented
// without a read-modify-write when the caller holds the only reference (load == 1), which
// makes the common "bind, run, unbind" path free of atomic RMW instructions.
#pragma once

#include <asyncctx/detail/block_allocator.hpp>
#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/execution_state.hpp>

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <new>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// A reference-counted holder of one value. `destroy` destroys the value and frees the memory
// the box lives in (its own allocation or the frame block it was built in).
struct value_box {
  std::atomic<std::uint32_t> refs{1};
  std::uint32_t block_size = 0;  // size of `block`, for the block allocator
  void (*destroy)(value_box*) noexcept = nullptr;
  void* block = nullptr;  // the allocation to free when the box goes
};

template <class T>
struct typed_box final : value_box {
  template <class... Args>
  explicit typed_box(Args&&... args) : value(std::forward<Args>(args)...) {}
  T value;
};

inline void retain(value_box* b) noexcept {
  if (b != nullptr) b->refs.fetch_add(1, std::memory_order_relaxed);
}

inline void release(value_box* b) noexcept {
  if (b == nullptr) return;
  // Sole owner: nobody else can reach the box to take a new reference, so no RMW is needed.
  if (b->refs.load(std::memory_order_acquire) == 1 || b->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) {
    b->destroy(b);
  }
}

template <class T>
T& box_value(value_box* b) noexcept {
  return static_cast<typed_box<T>*>(b)->value;
}

struct entry {
  std::uint64_t key;  // 0 = empty slot
  value_box* box;     // nullptr = bound to "nothing" (async_local_storage::exit)
};

inline constexpr std::size_t align_up(std::size_t n, std::size_t a) noexcept { return (n + a - 1) & ~(a - 1); }

// Keys are handed out in steps of sizeof(entry) (see new_key), so a key's home slot is
// key / sizeof(entry) modulo the capacity.
inline constexpr std::uint64_t key_step = sizeof(entry);
inline std::uint32_t home_slot(std::uint64_t key, std::uint32_t mask) noexcept {
  return static_cast<std::uint32_t>(key / key_step) & mask;
}

class frame {
 public:
  std::atomic<std::uint32_t> refs{1};
  std::uint32_t mask = 0;         // capacity - 1
  std::uint64_t offset_mask = 0;  // mask * sizeof(entry): `key & offset_mask` is a byte offset
  std::uint32_t count = 0;        // occupied slots
  std::uint32_t block_size = 0;   // the block's alignment is max_align_t unless own_box frees it
  std::uint64_t scope_token = 0;  // process-unique stamp of the scope that installed this frame (scope.hpp)
  value_box* own_box = nullptr;   // box living in this frame's block, if any

  entry* entries() noexcept { return reinterpret_cast<entry*>(this + 1); }
  const entry* entries() const noexcept { return reinterpret_cast<const entry*>(this + 1); }
  std::uint32_t capacity() const noexcept { return mask + 1; }

  // The entry for `key`, or nullptr if this frame does not bind it. The first probe is the
  // hit in the common case (sequential keys, load <= 3/4), so it is kept straight-line and
  // the probing loop out of the way.
  // Keys are multiples of sizeof(entry), so `key & offset_mask` is already the byte offset of
  // the key's home slot: no shift on the hot path.
  ASYNCCTX_ALWAYS_INLINE const entry* find(std::uint64_t key) const noexcept {
    const auto* e = reinterpret_cast<const entry*>(reinterpret_cast<const char*>(entries()) + (key & offset_mask));
    if (__builtin_expect(e->key == key, 1)) return e;
    return find_after_miss(key);
  }

  ASYNCCTX_NOINLINE const entry* find_after_miss(std::uint64_t key) const noexcept {
    const entry* e = entries();
    std::uint32_t i = home_slot(key, mask);
    for (;;) {
      if (e[i].key == key) return &e[i];
      if (e[i].key == 0) return nullptr;
      i = (i + 1) & mask;
    }
  }
};
static_assert(alignof(entry) <= alignof(frame));
static_assert(sizeof(frame) % alignof(entry) == 0);

inline void retain(frame* f) noexcept {
  if (f != nullptr) f->refs.fetch_add(1, std::memory_order_relaxed);
}

inline void destroy_frame(frame* f) noexcept {
  value_box* own = f->own_box;
  const std::uint32_t size = f->block_size;
  entry* e = f->entries();
  for (std::uint32_t i = 0, n = f->capacity(); i < n; ++i) {
    if (e[i].key != 0 && e[i].box != own) release(e[i].box);
  }
  count_frame_destroyed();
  if (own != nullptr) {
    release(own);  // the box frees the block (this frame's memory) when it is the last user
  } else {
    free_block(f, size, alignof(std::max_align_t));
  }
}

// The spare context reference of the task running on this thread (task_context.hpp): a
// task keeps at most one extra owned reference to its own context, handed back by a child
// task that ended in that context, so that the next child takes it instead of incrementing
// the count. The spare must never keep a frame alive longer than the task's own reference
// would: every release of a shared frame on this thread (a scope restored, an enter_with,
// the end of a run) also drops the running task's spare when it is that frame. Dropping it
// when the frame still has other owners is harmless (it only costs the next child an
// increment).
struct task_spare_slot {
  frame* spare_ = nullptr;
};

// The thread's own spare (execution_state::thread_spare, for callbacks that run outside any
// task, such as Asio handlers) never keeps a frame alive longer than the thread's own hold
// does: it is only left while the thread's current context (which no task can carry away) is
// that frame, and every release of that frame on this thread drops it too (release below).

inline void release(frame* f) noexcept {
  if (f == nullptr) return;
  // Sole owner: nobody else holds it, so no spare either.
  if (f->refs.load(std::memory_order_acquire) == 1) {
    destroy_frame(f);
    return;
  }
  std::uint32_t drop = 1;
  execution_state& state = execution_state::here();
  if (task_spare_slot* running = state.running_task(); running != nullptr && running->spare_ == f) [[unlikely]] {
    running->spare_ = nullptr;
    ++drop;
  }
  if (state.thread_spare() == f) [[unlikely]] {
    state.set_thread_spare(nullptr);
    ++drop;
  }
  if (f->refs.fetch_sub(drop, std::memory_order_acq_rel) == drop) destroy_frame(f);
}

// Capacity for `n` entries: a power of two with load <= 3/4 (so probing always ends).
inline std::uint32_t capacity_for(std::uint32_t n) noexcept {
  std::uint32_t cap = 2;
  while (n * 4 > cap * 3) cap *= 2;
  return cap;
}

inline std::size_t table_bytes(std::uint32_t cap) noexcept { return sizeof(frame) + cap * sizeof(entry); }

inline void insert_entry(frame* f, std::uint64_t key, value_box* box) noexcept {
  entry* e = f->entries();
  std::uint32_t i = home_slot(key, f->mask);
  while (e[i].key != 0 && e[i].key != key) i = (i + 1) & f->mask;
  if (e[i].key == 0) ++f->count;
  e[i] = entry{key, box};
}

// Fills the table of a new frame in `mem`: the entries of `base` (each box retained), then
// `key -> box` (box already counted for this frame), or without `key` when `remove` is set.
inline frame* build_frame(void* mem, std::uint32_t block_size, std::uint32_t cap, const frame* base, std::uint64_t key,
                          value_box* box, bool remove) noexcept {
  auto* f = ::new (mem) frame();
  f->mask = cap - 1;
  f->offset_mask = std::uint64_t{cap - 1} * sizeof(entry);
  f->block_size = block_size;
  entry* e = f->entries();
  if (base == nullptr) {
    // The first binding: only stores, no read of the freshly cleared table (a load right
    // after memset's wide stores stalls on store forwarding and cost a third of a run).
    std::memset(static_cast<void*>(e), 0, cap * sizeof(entry));
    if (!remove) {
      e[home_slot(key, f->mask)] = entry{key, box};
      f->count = 1;
    }
  } else if (base->capacity() == cap && !remove) {
    std::memcpy(static_cast<void*>(e), base->entries(), cap * sizeof(entry));
    f->count = base->count;
    for (std::uint32_t i = 0; i < cap; ++i) {
      if (e[i].key != 0 && e[i].key != key) retain(e[i].box);
    }
    insert_entry(f, key, box);
  } else {
    std::memset(static_cast<void*>(e), 0, cap * sizeof(entry));
    if (base != nullptr) {
      const entry* be = base->entries();
      for (std::uint32_t i = 0, n = base->capacity(); i < n; ++i) {
        if (be[i].key != 0 && be[i].key != key) {
          retain(be[i].box);
          insert_entry(f, be[i].key, be[i].box);
        }
      }
    }
    if (!remove) insert_entry(f, key, box);
  }
  count_frame_created();
  return f;
}

inline std::uint32_t count_with(const frame* base, std::uint64_t key) noexcept {
  if (base == nullptr) return 1;
  return base->count + (base->find(key) == nullptr ? 1U : 0U);
}

template <class Box>
void destroy_own_box(value_box* b) noexcept {
  void* block = b->block;
  static_cast<Box*>(b)->~Box();
  free_block(block, b->block_size, std::max(alignof(frame), alignof(Box)));
}

// A new frame = base + {key -> Box(args...)}, the box built inside the frame's own block
// (Box derives from value_box). Returns with one reference, owned by the caller. Strong
// guarantee: if the box's constructor or the allocation throws, nothing changed.
template <class Box, class... Args>
frame* frame_with_inline_box(const frame* base, std::uint64_t key, Args&&... args) {
  static_assert(std::is_base_of_v<value_box, Box>);
  const std::uint32_t cap = capacity_for(count_with(base, key));
  constexpr std::size_t align = std::max(alignof(frame), alignof(Box));
  const std::size_t box_offset = align_up(table_bytes(cap), alignof(Box));
  const std::size_t size = box_offset + sizeof(Box);
  void* mem = allocate_block(size, align);
  Box* box;
  try {
    box = ::new (static_cast<char*>(mem) + box_offset) Box(std::forward<Args>(args)...);
  } catch (...) {
    free_block(mem, size, align);
    throw;
  }
  box->destroy = &destroy_own_box<Box>;
  box->block = mem;
  box->block_size = static_cast<std::uint32_t>(size);
  frame* f = build_frame(mem, static_cast<std::uint32_t>(size), cap, base, key, box, false);
  f->own_box = box;
  return f;
}

// A new frame = base + {key -> T(args...)}.
template <class T, class... Args>
frame* frame_with_value(const frame* base, std::uint64_t key, Args&&... args) {
  return frame_with_inline_box<typed_box<T>>(base, key, std::forward<Args>(args)...);
}

// A new frame = base + {key -> box}; `box` (may be nullptr) is already counted for it.
inline frame* frame_with_box(const frame* base, std::uint64_t key, value_box* box) {
  const std::uint32_t cap = capacity_for(count_with(base, key));
  const std::size_t size = table_bytes(cap);
  void* mem = allocate_block(size, alignof(std::max_align_t));
  return build_frame(mem, static_cast<std::uint32_t>(size), cap, base, key, box, false);
}

// A new frame = base without `key`, or nullptr (the empty context) when nothing is left.
inline frame* frame_without(const frame* base, std::uint64_t key) {
  if (base == nullptr) return nullptr;
  const std::uint32_t left = base->count - (base->find(key) != nullptr ? 1U : 0U);
  if (left == 0) return nullptr;
  const std::uint32_t cap = capacity_for(left);
  const std::size_t size = table_bytes(cap);
  void* mem = allocate_block(size, alignof(std::max_align_t));
  return build_frame(mem, static_cast<std::uint32_t>(size), cap, base, key, nullptr, true);
}

// Keys identify variables inside frames. They are never reused: a frame that outlives its
// variable keeps an entry nobody can name, and a new variable can never see it.
ASYNCCTX_API std::uint64_t new_key() noexcept;

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
