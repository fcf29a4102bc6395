// asyncctx::log against spdlog itself, in one run (bench/log_ratios.py reads the ratios):
//
//   fields/ours        a log call with 3 context fields (log::with) to a null sink
//   fields/spdlog      the same spdlog call passing those 3 values as format arguments
//   disabled/ours      a call at a disabled level, 3 context fields bound
//   disabled/spdlog    spdlog's own call at a disabled level
//   json_devnull/ours  JSON lines with 3 context fields to /dev/null (lines/s = items_per_second),
//                      the number compared with pino (bench/compare/log_pino_bench.js)
//
// Single thread; spdlog's synchronous loggers (the null sink still has spdlog format the
// message: only the sink does nothing).
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>

#include <benchmark/benchmark.h>

#include <memory>

#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/sinks/null_sink.h>

namespace {

namespace log = asyncctx::log;

std::shared_ptr<spdlog::logger> null_logger(spdlog::level::level_enum lvl) {
  auto lg = std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::null_sink_st>());
  lg->set_level(lvl);
  log::configure(*lg, log::line_format::json);
  return lg;
}

const log::fields& three_fields() {
  static const log::fields f{{"user", "alice"}, {"tenant", 7}, {"request_id", "5f0c2b6e9d7a4e1f-0000000000000001"}};
  return f;
}

void fields_ours(benchmark::State& state) {
  log::logger lg(null_logger(spdlog::level::info));
  log::with(three_fields(), [&] {
    for (auto _ : state) lg.info("handled {} in {} ms", "GET /orders", 12);
  });
}
BENCHMARK(fields_ours)->Name("fields/ours");

void fields_spdlog(benchmark::State& state) {
  auto lg = null_logger(spdlog::level::info);
  for (auto _ : state) {
    lg->info("handled {} in {} ms user={} tenant={} request_id={}", "GET /orders", 12, "alice", 7,
             "5f0c2b6e9d7a4e1f-0000000000000001");
  }
}
BENCHMARK(fields_spdlog)->Name("fields/spdlog");

void disabled_ours(benchmark::State& state) {
  log::logger lg(null_logger(spdlog::level::info));
  log::with(three_fields(), [&] {
    for (auto _ : state) lg.debug("handled {} in {} ms", "GET /orders", 12);
  });
}
BENCHMARK(disabled_ours)->Name("disabled/ours");

void disabled_spdlog(benchmark::State& state) {
  auto lg = null_logger(spdlog::level::info);
  for (auto _ : state) lg->debug("handled {} in {} ms", "GET /orders", 12);
}
BENCHMARK(disabled_spdlog)->Name("disabled/spdlog");

void json_devnull_ours(benchmark::State& state) {
  auto spd =
      std::make_shared<spdlog::logger>("bench", std::make_shared<spdlog::sinks::basic_file_sink_st>("/dev/null"));
  log::configure(*spd, log::line_format::json);
  log::logger lg(spd);
  log::with(three_fields(), [&] {
    for (auto _ : state) lg.info("handled {} in {} ms", "GET /orders", 12);
  });
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(json_devnull_ours)->Name("json_devnull/ours");

}  // namespace

BENCHMARK_MAIN();
