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

// ASYNCCTX_API marks what the compiled library exports. It is default visibility whether the
// library is static or shared, and whatever -fvisibility the including code uses: the state
// it marks must be one per process, so a shared object built with -fvisibility=hidden must
// still refer to the library's definition, never make a copy of its own.
#if defined(__GNUC__) || defined(__clang__)
#define ASYNCCTX_API __attribute__((visibility("default")))
#else
#define ASYNCCTX_API
#endif

// The execution state is reached from every hot path, also from position-independent code
// in shared objects: initial-exec keeps that one %fs-relative access instead of a call to
// __tls_get_addr. The cost is that a shared libasyncctx must be loaded with the program (or
// fit in the static TLS surplus when dlopen'ed). Define ASYNCCTX_TLS_MODEL empty to use the
// compiler's default model instead.
#if !defined(ASYNCCTX_TLS_MODEL)
#if defined(__GNUC__) || defined(__clang__)
#define ASYNCCTX_TLS_MODEL __attribute__((tls_model("initial-exec")))
#else
#define ASYNCCTX_TLS_MODEL
#endif
#endif

// Every declaration lives in an inline namespace named after the ABI version: code built
// against another ABI of the library refers to other symbols, so it fails to link rather
// than run with a second, incompatible copy of the state.
#if !defined(ASYNCCTX_ABI_NAMESPACE)
#define ASYNCCTX_ABI_NAMESPACE abi_v0
#endif
#define ASYNCCTX_STRINGIFY_IMPL(x) #x
#define ASYNCCTX_STRINGIFY(x) ASYNCCTX_STRINGIFY_IMPL(x)

// Checks of the internal state protocol (execution_state.hpp): on in builds without NDEBUG.
#if !defined(ASYNCCTX_CHECK_STATE_PROTOCOL)
#if defined(NDEBUG)
#define ASYNCCTX_CHECK_STATE_PROTOCOL 0
#else
#define ASYNCCTX_CHECK_STATE_PROTOCOL 1
#endif
#endif

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

// ASYNCCTX_COUNT_LIVE_CONTEXTS (set by the CMake option of the same name, PUBLIC on the
// target so every translation unit agrees) counts frames that exist right now. Tests use it
// to prove that no context outlives the work that held it; production builds pay nothing.
ASYNCCTX_API extern std::atomic<long> g_live_frames;
#if defined(ASYNCCTX_COUNT_LIVE_CONTEXTS)
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

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
