// asyncctx::log under load with spdlog's async logger: the fields of every line are those of
// the coroutine that wrote it, though the lines are formatted on spdlog's own threads, after
// the coroutines hopped across a thread pool, Asio handlers and promise reactions. And the
// naive design (fields read by the formatter, from the context it runs in) gets them wrong.
// The load is log_load_support.hpp's (ASYNCCTX_STRESS=long: ten times the lines).
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/line_format.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/record.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string_view>

#include "log_load_support.hpp"
#include "log_test_support.hpp"
#include <spdlog/async.h>
#include <spdlog/async_logger.h>

namespace {

namespace log = asyncctx::log;

// Runs the load through an async logger (4 spdlog threads, blocking when the queue is full)
// whose sink is `sink`, set up by `configure_logger`, and checks the lines. The pool is
// destroyed before the lines are read: its destructor joins its threads once they have written
// every queued line. (flush() on an async logger only queues a flush request, which one of the
// threads handles while the others may still be writing: reading after it loses lines.)
template <class Configure>
asyncctx_test::load_result run_async_load(const std::shared_ptr<asyncctx_test::line_sink>& sink,
                                          Configure configure_logger) {
  auto tp = std::make_shared<spdlog::details::thread_pool>(8192, 4);
  {
    auto spd = std::make_shared<spdlog::async_logger>("async", sink, tp, spdlog::async_overflow_policy::block);
    spd->set_level(spdlog::level::trace);
    configure_logger(*spd);
    const log::logger lg(spd);
    asyncctx_test::run_load_tasks([&lg](int c, int i, const char* where) { lg.info("c={} i={} {}", c, i, where); });
  }
  tp.reset();  // the only owner (the logger holds a weak_ptr): joins after the last line
  return asyncctx_test::check_lines(sink->lines());
}

TEST(LogAsyncLogger, EveryLineCarriesTheFieldsOfTheCoroutineThatWroteIt) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  const asyncctx_test::load_result r =
      run_async_load(sink, [](spdlog::async_logger& spd) { log::configure(spd, log::line_format::json); });
  EXPECT_GE(r.lines, asyncctx_test::total_lines());
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
  const asyncctx_test::load_result r =
      run_async_load(sink, [](spdlog::async_logger& spd) { spd.set_formatter(std::make_unique<naive_formatter>()); });
  EXPECT_GE(r.lines, asyncctx_test::total_lines());
  EXPECT_GT(r.wrong, 0);
  EXPECT_EQ(r.wrong, r.lines) << "no line can be right: the formatter runs outside every request";
}

}  // namespace
