// A span started in a Boost.Asio handler has, as its parent, the span that was active when the
// operation was started (through asyncctx::asio's handler tracking), on whatever thread the
// handler runs.
#include <asyncctx/trace/current_span.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <boost/asio.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <thread>

#include "trace_test_support.hpp"

#ifndef BOOST_ASIO_CUSTOM_HANDLER_TRACKING
#error "this test must be built with asyncctx::asio (the handler-tracking definition)"
#endif

namespace {

namespace trace = asyncctx::trace;
namespace net = boost::asio;

TEST(AsioSpans, ASpanStartedInAPostedHandlerHasThePostersSpanAsParent) {
  trace_test::fixture f;
  net::io_context io;
  trace::span request = f.tracer.start_span("request");
  trace::with_span(request, [&] { net::post(io, [&] { trace::span h = f.tracer.start_span("handler"); }); });
  std::thread runner([&] { io.run(); });
  runner.join();
  request.end();
  ASSERT_NE(f.exporter->find("handler"), nullptr);
  EXPECT_EQ(f.exporter->find("handler")->parent, request.context().span);
}

TEST(AsioSpans, ATimerHandlerSeesTheSpanOfItsStartNotOfItsRunner) {
  trace_test::fixture f;
  net::io_context io;
  net::steady_timer timer(io, std::chrono::milliseconds(5));
  trace::span starter = f.tracer.start_span("starter");
  trace::span runner_span = f.tracer.start_span("runner", {.root = true});
  trace::with_span(starter, [&] {
    timer.async_wait([&](boost::system::error_code) { trace::span h = f.tracer.start_span("timer"); });
  });
  trace::with_span(runner_span, [&] { io.run(); });
  ASSERT_NE(f.exporter->find("timer"), nullptr);
  EXPECT_EQ(f.exporter->find("timer")->parent, starter.context().span);
  EXPECT_EQ(f.exporter->find("timer")->trace, starter.context().trace);
}

}  // namespace
