// asyncctx::log_boost: the Boost.Log attribute captures the fields where a record is opened,
// so an asynchronous_sink (formatting on its own thread, later) writes the fields of the code
// that logged; the same load and check as spdlog's async logger; the formatters' output.
#include <asyncctx/log/boost_log.hpp>
#include <asyncctx/log/context_fields.hpp>

#include <boost/core/null_deleter.hpp>
#include <boost/log/core.hpp>
#include <boost/log/sinks/async_frontend.hpp>
#include <boost/log/sinks/sync_frontend.hpp>
#include <boost/log/sinks/text_ostream_backend.hpp>
#include <boost/log/sources/record_ostream.hpp>
#include <boost/log/sources/severity_channel_logger.hpp>
#include <boost/log/trivial.hpp>
#include <boost/shared_ptr.hpp>
#include <boost/smart_ptr/make_shared_object.hpp>
#include <gtest/gtest.h>

#include <sstream>
#include <string>
#include <vector>

#include "log_load_support.hpp"
#include <nlohmann/json.hpp>

namespace {

namespace log = asyncctx::log;
namespace blog = boost::log;
using severity = blog::trivial::severity_level;
using channel_logger = blog::sources::severity_channel_logger_mt<severity, std::string>;

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// A Boost.Log sink (Frontend = asynchronous_sink or synchronous_sink) writing lines into a
// string stream, registered in the core for the life of the object.
template <template <class...> class Frontend>
class stream_sink {
 public:
  using sink_type = Frontend<blog::sinks::text_ostream_backend>;

  explicit stream_sink(blog::formatter formatter) {
    auto backend = boost::make_shared<blog::sinks::text_ostream_backend>();
    backend->add_stream(boost::shared_ptr<std::ostream>(&out_, boost::null_deleter()));
    sink_ = boost::make_shared<sink_type>(backend);
    sink_->set_formatter(std::move(formatter));
    blog::core::get()->add_sink(sink_);
  }
  ~stream_sink() { stop(); }

  // Flushes (for an asynchronous sink: waits until its thread has written every record) and
  // unregisters the sink.
  void stop() {
    if (!sink_) return;
    blog::core::get()->remove_sink(sink_);
    if constexpr (requires { sink_->stop(); }) sink_->stop();
    sink_->flush();
    sink_.reset();
  }

  std::vector<std::string> lines() { return split_lines(out_.str()); }

 private:
  std::ostringstream out_;
  boost::shared_ptr<sink_type> sink_;
};

class BoostLog : public ::testing::Test {
 protected:
  void SetUp() override { log::boost_log::add_fields_attribute(); }
  void TearDown() override {
    blog::core::get()->remove_global_attribute(
        blog::core::get()->get_global_attributes().find(log::boost_log::attribute_name));
  }
};

TEST_F(BoostLog, AsynchronousSinkWritesTheFieldsOfTheCoroutineThatOpenedEachRecord) {
  stream_sink<blog::sinks::asynchronous_sink> sink{log::boost_log::line_formatter(log::line_format::json)};
  channel_logger lg(blog::keywords::channel = "boost");
  asyncctx_test::run_load_tasks([&lg](int c, int i, const char* where) {
    BOOST_LOG_SEV(lg, severity::info) << "c=" << c << " i=" << i << " " << where;
  });
  sink.stop();
  const asyncctx_test::load_result r = asyncctx_test::check_lines(sink.lines());
  EXPECT_GE(r.lines, asyncctx_test::total_lines());
  EXPECT_EQ(r.wrong, 0) << "first wrong line: " << r.first_wrong;
}

TEST_F(BoostLog, LineFormatterWritesTimeLevelChannelMessageAndFieldsAsOneJsonLine) {
  stream_sink<blog::sinks::synchronous_sink> sink{log::boost_log::line_formatter(log::line_format::json)};
  channel_logger lg(blog::keywords::channel = "orders");
  log::with({{"user", "alice"}, {"tenant", 7}}, [&] { BOOST_LOG_SEV(lg, severity::warning) << "two\nlines"; });
  BOOST_LOG_SEV(lg, severity::error) << "outside";
  sink.stop();
  const auto lines = sink.lines();
  ASSERT_EQ(lines.size(), 2u);
  const nlohmann::json first = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(first["level"], "warn");
  EXPECT_EQ(first["logger"], "orders");
  EXPECT_EQ(first["msg"], "two\nlines");
  EXPECT_EQ(first["user"], "alice");
  EXPECT_EQ(first["tenant"], 7);
  const nlohmann::json second = nlohmann::json::parse(lines[1]);
  EXPECT_EQ(second["level"], "error");
  EXPECT_FALSE(second.contains("user"));
}

TEST_F(BoostLog, FieldsFormatterWritesTheFieldsAlone) {
  stream_sink<blog::sinks::synchronous_sink> sink{log::boost_log::fields_formatter(log::line_format::text)};
  channel_logger lg(blog::keywords::channel = "x");
  log::with({{"user", "alice smith"}, {"ok", true}}, [&] { BOOST_LOG_SEV(lg, severity::info) << "m"; });
  sink.stop();
  EXPECT_EQ(sink.lines(), std::vector<std::string>{"user=\"alice smith\" ok=true"});
}

}  // namespace
