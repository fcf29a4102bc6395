// A user program built against the installed package: proves headers, library and the
// CMake package config work outside the source tree.
#include <asyncctx/asyncctx.hpp>

#include <cstdio>
#include <string>

int main() {
  asyncctx::variable<std::string> request_id({.name = "request_id"});
  asyncctx::thread_pool pool(1);
  const std::string seen =
      request_id.run("req-42", [&] { return pool.submit([&] { return request_id.value_or("-"); }).get(); });
  std::printf("consumer: the pool task saw %s\n", seen.c_str());
  return seen == "req-42" ? 0 : 1;
}
