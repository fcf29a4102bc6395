// Runs a function on a new thread with a large stack, for tests whose point is depth (ten
// thousand nested runs): unoptimised sanitizer builds give every inlined helper its own
// stack slots and red zones, so the default 8 MiB main stack is not what such a test checks.
#pragma once

#include <cstddef>
#include <functional>
#include <stdexcept>

#include <pthread.h>

namespace asyncctx_test {

inline void run_on_big_stack(std::function<void()> fn, std::size_t bytes = std::size_t{256} << 20) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, bytes);
  pthread_t thread;
  auto body = [](void* arg) -> void* {
    (*static_cast<std::function<void()>*>(arg))();
    return nullptr;
  };
  const int rc = pthread_create(&thread, &attr, body, &fn);
  pthread_attr_destroy(&attr);
  if (rc != 0) throw std::runtime_error("pthread_create failed");
  pthread_join(thread, nullptr);
}

}  // namespace asyncctx_test
