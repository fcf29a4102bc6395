// Build-wide switches and small helpers shared by every asyncctx header.
#pragma once

#include <atomic>
#include <cstddef>

#if defined(__GNUC__) || defined(__clang__)
#define ASYNCCTX_ALWAYS_INLINE inline __attribute__((always_inline))
#define ASYNCCTX_NOINLINE __attribute__((noinline))
#else
#define ASYNCCTX_ALWAYS_INLINE inline
#define ASYNCCTX_NOINLINE
#endif

namespace asyncctx::detail {

// ASYNCCTX_COUNT_LIVE_CONTEXTS (set by the CMake option of the same name, PUBLIC on the
// target so every translation unit agrees) counts frames that exist right now. Tests use it
// to prove that no context outlives the work that held it; production builds pay nothing.
#if defined(ASYNCCTX_COUNT_LIVE_CONTEXTS)
inline std::atomic<long> g_live_frames{0};
inline void count_frame_created() noexcept { g_live_frames.fetch_add(1, std::memory_order_relaxed); }
inline void count_frame_destroyed() noexcept { g_live_frames.fetch_sub(1, std::memory_order_relaxed); }
inline constexpr bool counts_live_frames = true;
#else
inline void count_frame_created() noexcept {}
inline void count_frame_destroyed() noexcept {}
inline constexpr bool counts_live_frames = false;
#endif

// Number of frames alive now; always 0 when the counter is compiled out.
inline long live_frames() noexcept {
#if defined(ASYNCCTX_COUNT_LIVE_CONTEXTS)
  return g_live_frames.load(std::memory_order_relaxed);
#else
  return 0;
#endif
}

}  // namespace asyncctx::detail
