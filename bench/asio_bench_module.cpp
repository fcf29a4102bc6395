// The post-hop benchmark body as a loadable module, built three times by bench/asio.cmake:
//   asio_bench_hooked  — with asyncctx::asio (BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
//   asio_bench_plain   — plain Boost.Asio
//   asio_bench_control — plain Boost.Asio again: an A/A control for the method
// asio_bench loads all three with dlopen and measures them interleaved in one process. The
// tracking definition changes the layout of Asio's operations, so the builds cannot share a
// program's symbols: each module is compiled with hidden visibility and loaded RTLD_LOCAL,
// keeping its Asio instantiations its own. Same compiler flags, same code shape, same kind of
// object for all three, so the control measures what the method itself adds.
#include <boost/asio/io_context.hpp>

#include <cstdint>

#include "asio_post_hops.hpp"

#ifdef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
#include <asyncctx/variable.hpp>
#endif

#define ASIO_BENCH_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// Not inlined into the entry points, so every variant runs the same code shape.
__attribute__((noinline)) std::int64_t post_hops(boost::asio::io_context& ioc, std::int64_t hops) {
  return asio_bench::run_post_hops(ioc, hops);
}

}  // namespace

ASIO_BENCH_EXPORT void* asio_bench_create() { return new boost::asio::io_context(1); }

ASIO_BENCH_EXPORT void asio_bench_destroy(void* ioc) { delete static_cast<boost::asio::io_context*>(ioc); }

// `hops` hops in the thread's own context (the empty one for the benchmark thread).
ASIO_BENCH_EXPORT std::int64_t asio_bench_post_hops(void* ioc, std::int64_t hops) {
  return post_hops(*static_cast<boost::asio::io_context*>(ioc), hops);
}

#ifdef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
// The same hops in a context holding a value (a request id): the realistic case, where every
// operation captures that context and its handler installs it.
namespace {
asyncctx::variable<std::int64_t> g_request_id;
}
ASIO_BENCH_EXPORT std::int64_t asio_bench_post_hops_in_context(void* ioc, std::int64_t hops) {
  return g_request_id.run(42, [&] { return post_hops(*static_cast<boost::asio::io_context*>(ioc), hops); });
}

// A server's case: the thread running the io_context is in the empty context, and the chain
// of handlers carries a request's context (started inside a run, as a request handler is).
ASIO_BENCH_EXPORT std::int64_t asio_bench_post_hops_request(void* ioc, std::int64_t hops) {
  auto& io = *static_cast<boost::asio::io_context*>(ioc);
  std::int64_t left = hops;
  g_request_id.run(42, [&] { boost::asio::post(io, asio_bench::hop{&io, &left}); });
  io.restart();
  io.run();
  return left;
}
#endif
