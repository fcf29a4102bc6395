// A user program built against the installed package: proves headers, the generated
// version header, the library and the CMake package config (or asyncctx.pc) work outside
// the source tree.
#include <asyncctx/asyncctx.hpp>
#include <asyncctx/version.hpp>

#include <cstdio>
#include <string>

#define CONSUMER_STRINGIFY2(x) #x
#define CONSUMER_STRINGIFY(x) CONSUMER_STRINGIFY2(x)

int main() {
  std::printf("consumer: asyncctx %s, ABI %d (namespace asyncctx::%s)\n", ASYNCCTX_VERSION_STRING, ASYNCCTX_ABI_VERSION,
              CONSUMER_STRINGIFY(ASYNCCTX_ABI_NAMESPACE));
  asyncctx::variable<std::string> request_id({.name = "request_id"});
  asyncctx::thread_pool pool(1);
  const std::string seen =
      request_id.run("req-42", [&] { return pool.submit([&] { return request_id.value_or("-"); }).get(); });
  std::printf("consumer: the pool task saw %s\n", seen.c_str());
  return seen == "req-42" ? 0 : 1;
}
