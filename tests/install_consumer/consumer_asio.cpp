// A user program that only links asyncctx::asio: an Asio handler sees the context current
// where its operation was started, with no change at the call site.
#include <asyncctx/asyncctx.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdio>

int main() {
  asyncctx::variable<int> tenant;
  boost::asio::io_context io;
  int seen = -1;
  tenant.run(7, [&] { boost::asio::post(io, [&] { seen = tenant.value_or(0); }); });
  io.run();
  std::printf("consumer_asio: the handler saw tenant %d\n", seen);
  return seen == 7 ? 0 : 1;
}
