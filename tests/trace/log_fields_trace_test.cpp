// Logs carry the trace: with the trace field provider registered, every log line made inside a
// span has trace_id, span_id and trace_flags, also in a pool job; a line outside any span has
// none of them.
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/trace/log_fields.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <string>

#include "../log/log_test_support.hpp"
#include <nlohmann/json.hpp>

namespace {

namespace trace = asyncctx::trace;
using nlohmann::json;

struct registration {
  asyncctx::log::provider_id id = trace::add_log_trace_fields();
  ~registration() { asyncctx::log::remove_field_provider(id); }
};

TEST(LogTraceFields, ALineInsideASpanCarriesItsIds) {
  registration reg;
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  asyncctx::log::logger lg{asyncctx_test::make_logger("trace", sink, asyncctx::log::line_format::json)};
  trace::tracer_provider provider;
  trace::span s = provider.tracer("t").start_span("request");
  asyncctx::thread_pool pool(1);
  trace::with_span(s, [&] {
    lg.info("inside");
    pool.submit([&] { lg.info("in a pool job"); }).get();
  });
  lg.info("outside");
  const auto lines = sink->lines();
  ASSERT_EQ(lines.size(), 3u);
  for (int i = 0; i < 2; ++i) {
    const json line = json::parse(lines[static_cast<std::size_t>(i)]);
    EXPECT_EQ(line.at("trace_id"), s.context().trace.to_hex());
    EXPECT_EQ(line.at("span_id"), s.context().span.to_hex());
    EXPECT_EQ(line.at("trace_flags"), "03");
  }
  const json outside = json::parse(lines[2]);
  EXPECT_FALSE(outside.contains("trace_id"));
  EXPECT_FALSE(outside.contains("span_id"));
}

}  // namespace
