// asyncctx::log under load with spdlog's async logger: the fields of every line are those of
// the coroutine that wrote it, though the lines are formatted on spdlog's own threads, after
// the coroutines hopped across a thread pool, Asio handlers and promise reactions. And the
// naive design (fields read by the formatter, from the context it runs in) gets them wrong.
//
// ASYNCCTX_STRESS=long: 100,000 lines instead of 10,000.
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/asio/use_task.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/when_all.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "log_test_support.hpp"
#include <nlohmann/json.hpp>
#include <spdlog/async.h>
#include <spdlog/async_logger.h>

namespace {

namespace log = asyncctx::log;
namespace net = boost::asio;
using nlohmann::json;

constexpr int coroutines = 64;

int total_lines() {
  const char* mode = std::getenv("ASYNCCTX_STRESS");
  return mode != nullptr && std::strcmp(mode, "long") == 0 ? 100'000 : 10'000;
}

// One coroutine of the load: each line follows a different kind of hop, and names the
// coroutine in its message ("c=<n> ..."), so the checker knows which request_id it needs.
asyncctx::task<void> worker(int c, int lines, net::io_context& ioc, asyncctx::thread_pool& pool,
                            const log::logger& lg) {
  for (int i = 0; i < lines; ++i) {
    switch (i % 4) {
      case 0:  // a thread-pool hop
        co_await asyncctx::schedule_on(pool.get_executor());
        lg.info("c={} i={} after a pool hop", c, i);
        break;
      case 1:  // resumed by an Asio handler
        co_await net::post(ioc, asyncctx::asio::use_task);
        lg.info("c={} i={} after an Asio post", c, i);
        break;
      case 2: {  // inside an Asio handler started here
        asyncctx::promise<void> done;
        asyncctx::future<void> finished = done.get_future();
        net::post(ioc, [&lg, c, i, done = std::move(done)] {
          lg.info("c={} i={} in an Asio handler", c, i);
          done.resolve();
        });
        co_await finished;
        break;
      }
      default: {  // in a promise reaction, the promise settled on a pool thread
        asyncctx::promise<int> p;
        asyncctx::future<int> reacted = p.get_future().then([&lg, c, i](int v) {
          lg.info("c={} i={} in a promise reaction", c, i);
          return v;
        });
        pool.post([p = std::move(p)] { p.resolve(1); });
        co_await reacted;
        break;
      }
    }
  }
}

struct load_result {
  int lines = 0;
  int wrong = 0;
  std::string first_wrong;
};

// Runs the load through `lg` (whose sink is `sink`) and checks every line: its request_id
// and coroutine field must be those of the coroutine named in its message.
load_result run_load(const log::logger& lg, asyncctx_test::line_sink& sink) {
  const int per_coroutine = (total_lines() + coroutines - 1) / coroutines;
  net::io_context ioc;
  auto work = net::make_work_guard(ioc);
  std::vector<std::thread> io_threads;
  for (int k = 0; k < 2; ++k) io_threads.emplace_back([&ioc] { ioc.run(); });
  {
    asyncctx::thread_pool pool(4);
    std::vector<asyncctx::task<void>> tasks;
    for (int c = 0; c < coroutines; ++c) {
      namespace aa = asyncctx::asio;
      tasks.push_back(aa::request_variable().run(
          aa::make_request_context("req-" + std::to_string(c), "GET", "/load?c=" + std::to_string(c)), [&] {
            return log::with({{"coroutine", c}}, [&] { return worker(c, per_coroutine, ioc, pool, lg); });
          }));
    }
    asyncctx::sync_wait(asyncctx::when_all(std::move(tasks)));
  }
  work.reset();
  for (auto& t : io_threads) t.join();
  lg.spdlog_logger().flush();

  load_result r;
  for (const std::string& line : sink.lines()) {
    ++r.lines;
    const json j = json::parse(line);
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

std::shared_ptr<spdlog::async_logger> make_async_logger(std::shared_ptr<asyncctx_test::line_sink> sink,
                                                        std::shared_ptr<spdlog::details::thread_pool> tp) {
  auto lg = std::make_shared<spdlog::async_logger>("async", std::move(sink), std::move(tp),
                                                   spdlog::async_overflow_policy::block);
  lg->set_level(spdlog::level::trace);
  return lg;
}

TEST(LogAsyncLogger, EveryLineCarriesTheFieldsOfTheCoroutineThatWroteIt) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  auto tp = std::make_shared<spdlog::details::thread_pool>(8192, 4);
  auto spd = make_async_logger(sink, tp);
  log::configure(*spd, log::line_format::json);
  const load_result r = run_load(log::logger(spd), *sink);
  EXPECT_GE(r.lines, total_lines());
  EXPECT_EQ(r.wrong, 0) << "first wrong line: " << r.first_wrong;
}

// The naive design, for comparison: a formatter that reads the fields when it formats, from
// the context current there. spdlog's async threads were started outside any context and
// never run in one, so the formatter finds no request at all: deterministically wrong.
class naive_formatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    log::record_buffer fields;
    log::detail::capture_bare_fields(fields, log::level::info);  // reads the context HERE
    log::record_view record;
    record.decode_fields(std::string_view(fields.data(), fields.size()));
    log::record_view message;
    message.decode_payload(std::string_view(msg.payload.data(), msg.payload.size()));
    dest.append(std::string_view("{\"msg\":"));
    log::write_json_string(dest, message.message());
    log::write_json_fields(dest, record);
    dest.append(std::string_view("}\n"));
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<naive_formatter>(); }
};

TEST(LogAsyncLogger, TheNaiveDesignReadingFieldsInTheFormatterGetsThemWrong) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  auto tp = std::make_shared<spdlog::details::thread_pool>(8192, 4);
  auto spd = make_async_logger(sink, tp);
  spd->set_formatter(std::make_unique<naive_formatter>());
  const load_result r = run_load(log::logger(spd), *sink);
  EXPECT_GE(r.lines, total_lines());
  EXPECT_GT(r.wrong, 0);
  EXPECT_EQ(r.wrong, r.lines) << "no line can be right: the formatter runs outside every request";
}

}  // namespace
