// One `post` hop chain: a handler that posts the next one from inside the loop, `hops` times,
// on a fresh io_context. The benchmark body shared by the two builds of asio_bench (see
// asio_bench.cpp): included once with the handler-tracking definition and once without.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdint>

namespace asio_bench {

// Reposts itself until `left` reaches zero: each call is one hop through the scheduler.
struct hop {
  boost::asio::io_context* ioc;
  std::int64_t* left;
  void operator()() const {
    if (--*left > 0) boost::asio::post(*ioc, hop{ioc, left});
  }
};

inline std::int64_t run_post_hops(boost::asio::io_context& ioc, std::int64_t hops) {
  std::int64_t left = hops;
  boost::asio::post(ioc, hop{&ioc, &left});
  ioc.restart();
  ioc.run();
  return left;
}

}  // namespace asio_bench
