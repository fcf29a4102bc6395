// The request-id logger of Node's AsyncLocalStorage documentation, on the core and
// asyncctx::log: no Boost, no sockets. Two "requests" arrive on an event loop (a one-thread
// asyncctx::thread_pool, FIFO like Node's loop); each runs in its own context holding a
// sequential id, logs "start", and schedules its "finish" on the loop (Node's setImmediate).
// The finish callbacks run after both starts, each with the right id (--log-format text,
// the default; `time=...` left out here):
//
//   level=info logger=requests msg=start request_id=0
//   level=info logger=requests msg=start request_id=1
//   level=info logger=requests msg=finish request_id=0
//   level=info logger=requests msg=finish request_id=1
//   level=info logger=requests msg="both requests answered"
//
// The id lives in an async_local_storage, as in Node's example; a field provider puts it on
// every line, so no log call passes it. `--log-format json` writes JSON lines instead.
//
// The Beast version, with real HTTP clients, timers, a worker-pool hop and a coroutine, is
// examples/request_context_server.cpp.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/thread_pool.hpp>

#include <cstdio>
#include <future>
#include <string_view>

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

namespace {

asyncctx::async_local_storage<int> async_local_storage;

}  // namespace

int main(int argc, char** argv) {
  auto format = asyncctx::log::line_format::text;
  for (int i = 1; i < argc; ++i) {
    const std::string_view a = argv[i];
    if (a == "--log-format" && i + 1 < argc && std::string_view(argv[i + 1]) == "json") {
      format = asyncctx::log::line_format::json;
      ++i;
    } else if (a == "--log-format" && i + 1 < argc && std::string_view(argv[i + 1]) == "text") {
      ++i;
    } else {
      std::fprintf(stderr, "usage: %s [--log-format json|text]\n", argv[0]);
      return 2;
    }
  }
  auto logger = spdlog::stdout_logger_mt("requests");
  asyncctx::log::configure(*logger, format);
  spdlog::set_default_logger(logger);
  // logWithId of Node's example, as a field provider: the id comes from the current context.
  asyncctx::log::add_field_provider("request_id", [](asyncctx::log::field_writer& out) {
    if (const int* id = async_local_storage.get_store()) out.add("request_id", *id);
  });

  asyncctx::thread_pool event_loop(1);
  int id_seq = 0;  // only touched on the loop thread
  std::promise<void> done[2];

  // The server's request handler: every request in a fresh context holding its id.
  auto on_request = [&](std::promise<void>& finished) {
    async_local_storage.run(id_seq++, [&] {
      asyncctx::log::info("start");
      // Imagine any chain of async operations here. post() captures the current context, so
      // the callback sees this request's id, though it runs after the other request started.
      event_loop.post([&finished] {
        asyncctx::log::info("finish");
        finished.set_value();
      });
    });
  };

  // Two requests arrive, as the two http.get calls of Node's example.
  event_loop.post([&] { on_request(done[0]); });
  event_loop.post([&] { on_request(done[1]); });
  done[0].get_future().wait();
  done[1].get_future().wait();
  asyncctx::log::info("both requests answered");  // the main thread is in no request: no request_id
  return 0;
}
