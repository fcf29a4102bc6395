// The request-id logger of Node's AsyncLocalStorage documentation, on the core
// alone: no Boost, no sockets. Two "requests" arrive on an event loop (a one-thread
// asyncctx::thread_pool, FIFO like Node's loop); each runs in its own context holding a
// sequential id, logs "start", and schedules its "finish" on the loop (Node's setImmediate).
// The finish callbacks run after both starts, each with the right id:
//
//   0: start
//   1: start
//   0: finish
//   1: finish
//
// The Beast version, with real HTTP clients, timers, a worker-pool hop and a coroutine, is
// examples/request_context_server.cpp.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/thread_pool.hpp>

#include <cstdio>
#include <future>
#include <string>
#include <string_view>

namespace {

asyncctx::async_local_storage<int> async_local_storage;

// No id parameter: the id comes from whichever request the calling code runs for.
void log_with_id(std::string_view msg) {
  const int* id = async_local_storage.get_store();
  const std::string prefix = id != nullptr ? std::to_string(*id) : "-";
  std::printf("%s: %.*s\n", prefix.c_str(), static_cast<int>(msg.size()), msg.data());
}

}  // namespace

int main() {
  asyncctx::thread_pool event_loop(1);
  int id_seq = 0;  // only touched on the loop thread
  std::promise<void> done[2];

  // The server's request handler: every request in a fresh context holding its id.
  auto on_request = [&](std::promise<void>& finished) {
    async_local_storage.run(id_seq++, [&] {
      log_with_id("start");
      // Imagine any chain of async operations here. post() captures the current context, so
      // the callback sees this request's id, though it runs after the other request started.
      event_loop.post([&finished] {
        log_with_id("finish");
        finished.set_value();
      });
    });
  };

  // Two requests arrive, as the two http.get calls of Node's example.
  event_loop.post([&] { on_request(done[0]); });
  event_loop.post([&] { on_request(done[1]); });
  done[0].get_future().wait();
  done[1].get_future().wait();
  log_with_id("both requests answered");  // the main thread is in no request: "-"
  return 0;
}
