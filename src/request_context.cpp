// The process-wide state of include/asyncctx/asio/request_context.hpp: the request variable
// and the request-id generator. They are here, not in the header, so that they exist once per
// process: a header's function-local static is one copy per shared object built with hidden
// visibility, and a request bound by the server in one would be invisible to a logger in
// another. Standard library and core only (no Boost), so the core library can hold it.
#include <asyncctx/asio/request_context.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <random>
#include <string>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace asio {
namespace {

// A random 64-bit prefix chosen once per process, so that ids of different processes (or of
// a restarted one) do not collide; the counter makes ids unique within the process.
std::uint64_t request_id_prefix() noexcept {
  static const std::uint64_t prefix = [] {
    std::uint64_t seed = 0;
    try {
      std::random_device rd;
      seed = (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
    } catch (...) {
      // No entropy source: fall back to the clock and an address (ASLR), still distinct
      // enough across restarts.
    }
    seed ^= static_cast<std::uint64_t>(std::chrono::system_clock::now().time_since_epoch().count());
    seed ^= reinterpret_cast<std::uintptr_t>(&seed);
    // splitmix64 finaliser: spreads the bits so that close seeds give unrelated prefixes.
    seed += 0x9e3779b97f4a7c15ULL;
    seed = (seed ^ (seed >> 30)) * 0xbf58476d1ce4e5b9ULL;
    seed = (seed ^ (seed >> 27)) * 0x94d049bb133111ebULL;
    return seed ^ (seed >> 31);
  }();
  return prefix;
}

constinit std::atomic<std::uint64_t> request_id_counter{0};

void write_hex64(char* out, std::uint64_t v) noexcept {
  constexpr char digits[] = "0123456789abcdef";
  for (int i = 15; i >= 0; --i) {
    out[i] = digits[v & 0xf];
    v >>= 4;
  }
}

}  // namespace

std::string generate_request_id() {
  const std::uint64_t n = request_id_counter.fetch_add(1, std::memory_order_relaxed) + 1;
  std::string id(33, '-');
  write_hex64(id.data(), request_id_prefix());
  write_hex64(id.data() + 17, n);
  return id;
}

const variable<request_context>& request_variable() {
  static const variable<request_context> var(variable<request_context>::options{"asyncctx.request", std::nullopt});
  return var;
}

}  // namespace asio
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
