// The timer-hop benchmark body as a loadable module, built twice by bench/asio.cmake:
//   asio_bench_timer_hooked — with asyncctx::asio (BOOST_ASIO_CUSTOM_HANDLER_TRACKING)
//   asio_bench_timer_plain  — plain Boost.Asio
// One hop is a zero-length steady_timer wait started by the previous handler: a full reactor
// turn (timerfd and epoll), the shape of compare_bench's timer_hop, which the comparison with
// Node sets against setImmediate. Timing it in plain Asio in the same run shows what of its
// cost is Asio's and what the context's.
//
// Apart from asio_bench_module.cpp on purpose: what a module instantiates changes how the
// compiler lays out and inlines its post-hop path, and adding the timer there moved the post
// hop's ratio by about 10 %. The post-hop modules stay exactly as they were.
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/system/error_code.hpp>

#include <chrono>
#include <cstdint>

#ifdef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
#include <asyncctx/variable.hpp>
#endif

#define ASIO_BENCH_EXPORT extern "C" __attribute__((visibility("default")))

namespace {

// Restarts a zero-length wait until `left` reaches zero: each call is one reactor turn.
struct timer_hop {
  boost::asio::steady_timer* timer;
  std::int64_t* left;
  void operator()(const boost::system::error_code&) const {
    if (--*left > 0) start();
  }
  void start() const {
    timer->expires_after(std::chrono::nanoseconds(0));
    timer->async_wait(*this);
  }
};

// Not inlined into the entry points, so both variants run the same code shape.
__attribute__((noinline)) void run_chain(boost::asio::io_context& ioc) {
  ioc.restart();
  ioc.run();
}

}  // namespace

ASIO_BENCH_EXPORT void* asio_bench_create() { return new boost::asio::io_context(1); }

ASIO_BENCH_EXPORT void asio_bench_destroy(void* ioc) { delete static_cast<boost::asio::io_context*>(ioc); }

// `hops` timer hops in the thread's own context (the empty one for the benchmark thread).
ASIO_BENCH_EXPORT std::int64_t asio_bench_timer_hops(void* ioc, std::int64_t hops) {
  auto& io = *static_cast<boost::asio::io_context*>(ioc);
  boost::asio::steady_timer timer(io);
  std::int64_t left = hops;
  timer_hop{&timer, &left}.start();
  run_chain(io);
  return left;
}

#ifdef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
namespace {
asyncctx::variable<std::int64_t> g_request_id;
}

// A request's timer hops: the chain starts inside a run and the thread runs it in the empty
// context (as compare_bench's timer_hop does), so every wait carries the request's context.
ASIO_BENCH_EXPORT std::int64_t asio_bench_timer_hops_request(void* ioc, std::int64_t hops) {
  auto& io = *static_cast<boost::asio::io_context*>(ioc);
  boost::asio::steady_timer timer(io);
  std::int64_t left = hops;
  g_request_id.run(42, [&] { timer_hop{&timer, &left}.start(); });
  run_chain(io);
  return left;
}
#endif
