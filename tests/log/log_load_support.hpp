// The load of the async-logger tests (spdlog's async logger, Boost.Log's asynchronous_sink):
// 64 coroutines, each in a request of its own (request_id "req-<n>") with a context field
// (coroutine=<n>), write lines after thread-pool hops, Asio posts, inside Asio handlers and in
// promise reactions; check_lines verifies that every line carries its own coroutine's fields.
// ASYNCCTX_STRESS=long: 100,000 lines instead of 10,000.
#pragma once

#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/when_all.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace asyncctx_test {

inline constexpr int load_coroutines = 64;

inline int total_lines() {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  return mode != nullptr && std::strcmp(mode, "long") == 0 ? 100'000 : 10'000;
}

// One coroutine of the load. write(c, i, where) must log a line whose message starts with
// "c=<c> " (the checker reads the coroutine from it).
template <class Write>
asyncctx::task<void> load_worker(int c, int lines, boost::asio::io_context& ioc, asyncctx::thread_pool& pool,
                                 const Write& write) {
  for (int i = 0; i < lines; ++i) {
    switch (i % 4) {
      case 0:
        co_await asyncctx::schedule_on(pool.get_executor());
        write(c, i, "after a pool hop");
        break;
      case 1:
        co_await boost::asio::post(ioc, asyncctx::asio::use_task);
        write(c, i, "after an Asio post");
        break;
      case 2: {
        asyncctx::promise<void> done;
        asyncctx::future<void> finished = done.get_future();
        boost::asio::post(ioc, [&write, c, i, done = std::move(done)] {
          write(c, i, "in an Asio handler");
          done.resolve();
        });
        co_await finished;
        break;
      }
      default: {
        asyncctx::promise<int> p;
        asyncctx::future<int> reacted = p.get_future().then([&write, c, i](int v) {
          write(c, i, "in a promise reaction");
          return v;
        });
        pool.post([p = std::move(p)] { p.resolve(1); });  // settled on a pool thread
        co_await reacted;
        break;
      }
    }
  }
}

// Runs the whole load (two io threads, a 4-thread pool) and returns when every line is written.
template <class Write>
void run_load_tasks(const Write& write) {
  const int per_coroutine = (total_lines() + load_coroutines - 1) / load_coroutines;
  boost::asio::io_context ioc;
  auto work = boost::asio::make_work_guard(ioc);
  std::vector<std::thread> io_threads;
  for (int k = 0; k < 2; ++k) io_threads.emplace_back([&ioc] { ioc.run(); });
  {
    asyncctx::thread_pool pool(4);
    std::vector<asyncctx::task<void>> tasks;
    for (int c = 0; c < load_coroutines; ++c) {
      namespace aa = asyncctx::asio;
      tasks.push_back(aa::request_variable().run(
          aa::make_request_context("req-" + std::to_string(c), "GET", "/load?c=" + std::to_string(c)), [&] {
            return asyncctx::log::with({{"coroutine", c}},
                                       [&] { return load_worker(c, per_coroutine, ioc, pool, write); });
          }));
    }
    asyncctx::sync_wait(asyncctx::when_all(std::move(tasks)));
  }
  work.reset();
  for (auto& t : io_threads) t.join();
}

struct load_result {
  int lines = 0;
  int wrong = 0;
  std::string first_wrong;
};

// Every line (a JSON object) must carry request_id "req-<c>", coroutine <c> and path "/load",
// where <c> is the coroutine its message names.
inline load_result check_lines(const std::vector<std::string>& lines) {
  load_result r;
  for (const std::string& line : lines) {
    ++r.lines;
    const nlohmann::json j = nlohmann::json::parse(line);
    const std::string msg = j["msg"];
    const int c = std::stoi(msg.substr(2, msg.find(' ') - 2));
    const bool right = j.contains("request_id") && j["request_id"] == "req-" + std::to_string(c) &&
                       j.contains("coroutine") && j["coroutine"] == c && j.contains("path") && j["path"] == "/load";
    if (!right) {
      ++r.wrong;
      if (r.first_wrong.empty()) r.first_wrong = line;
    }
  }
  return r;
}

}  // namespace asyncctx_test
