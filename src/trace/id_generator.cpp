// Trace and span ids: an atomic counter through a keyed bijective mixer.
#include <asyncctx/trace/id_generator.hpp>

#include <atomic>
#include <cstdint>
#include <random>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

// The splitmix64 finalizer: a bijection of 64-bit values with good avalanche.
constexpr std::uint64_t mix(std::uint64_t x) noexcept {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

struct generator {
  std::uint64_t key[3];
  std::atomic<std::uint64_t> counter;

  generator() {
    std::random_device rd;
    auto draw = [&rd] { return (static_cast<std::uint64_t>(rd()) << 32) ^ rd(); };
    key[0] = draw();
    key[1] = draw();
    key[2] = draw();
    counter.store(draw(), std::memory_order_relaxed);
  }

  // Distinct counter values give distinct outputs for each key: c -> c * odd + key is a
  // bijection modulo 2^64, and so is mix.
  std::uint64_t next(int k, std::uint64_t c) const noexcept { return mix(c * 0x9e3779b97f4a7c15ULL + key[k]); }
};

generator& the_generator() noexcept {
  static generator g;  // NOLINT(cert-err58-cpp): random_device failing here is unrecoverable
  return g;
}

void store_be(std::uint64_t v, std::uint8_t* out) noexcept {
  for (int i = 7; i >= 0; --i) {
    out[i] = static_cast<std::uint8_t>(v);
    v >>= 8;
  }
}

}  // namespace

trace_id generate_trace_id() noexcept {
  generator& g = the_generator();
  trace_id id;
  do {
    const std::uint64_t c = g.counter.fetch_add(1, std::memory_order_relaxed);
    store_be(g.next(0, c), id.bytes.data());
    store_be(g.next(1, c), id.bytes.data() + 8);
  } while (!id.is_valid());
  return id;
}

span_id generate_span_id() noexcept {
  generator& g = the_generator();
  span_id id;
  do {
    const std::uint64_t c = g.counter.fetch_add(1, std::memory_order_relaxed);
    store_be(g.next(2, c), id.bytes.data());
  } while (!id.is_valid());
  return id;
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
