// asyncctx::log: fields in context (with, with_scope), their order and overrides, field
// providers (the request provider, a stand-in for the trace provider, one that throws), the
// mixin, per-call fields, the spdlog calls and formatters, and errors of sinks.
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/field.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "../support/misuse_recorder.hpp"
#include "log_test_support.hpp"
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

namespace {

namespace log = asyncctx::log;
using asyncctx::log::line_format;
using nlohmann::json;

struct json_logger {
  std::shared_ptr<asyncctx_test::line_sink> sink = std::make_shared<asyncctx_test::line_sink>();
  std::shared_ptr<spdlog::logger> spd = asyncctx_test::make_logger("test", sink, line_format::json);
  log::logger lg{spd};

  std::vector<json> parsed() {
    std::vector<json> out;
    for (const std::string& line : sink->lines()) out.push_back(json::parse(line));
    return out;
  }
  json last() { return parsed().back(); }
};

// The keys of a parsed line after the four fixed members, in order (nlohmann's ordered_json
// keeps order; the plain json sorts, so parse again with ordered_json).
std::vector<std::string> field_keys(const std::string& line) {
  std::vector<std::string> keys;
  const nlohmann::ordered_json parsed = nlohmann::ordered_json::parse(line);
  for (auto& [k, v] : parsed.items()) keys.push_back(k);
  return {keys.begin() + 4, keys.end()};
}

TEST(LogFieldKey, InvalidKeysAreRefusedWithAnErrorNamingTheKey) {
  for (const std::string& bad : {std::string(""), std::string(65, 'k'), std::string("has space"),
                                 std::string("quote\""), std::string("new\nline"), std::string("caf\xc3\xa9")}) {
    try {
      log::field f(bad, 1);
      ADD_FAILURE() << "accepted key " << bad;
    } catch (const std::invalid_argument& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find("invalid field key"), std::string::npos) << what;
      if (bad == "has space") {
        EXPECT_NE(what.find("\"has space\""), std::string::npos) << what;
      }
      if (bad == "new\nline") {
        EXPECT_NE(what.find("new\\x0aline"), std::string::npos) << what;
      }
      EXPECT_EQ(what.find('\n'), std::string::npos) << "the message must stay on one line";
    }
  }
  EXPECT_NO_THROW(log::field(std::string(64, 'k'), 1));
  EXPECT_NO_THROW(log::field("a.b-c_D9", 1));
}

TEST(LogFieldKey, ProviderAddWithInvalidKeyThrowsBeforeWriting) {
  log::record_buffer buf;
  log::field_writer w(buf);
  EXPECT_THROW(w.add("bad key", 1), std::invalid_argument);
  EXPECT_EQ(buf.size(), 0u);
}

TEST(LogFieldValue, KeepsItsType) {
  EXPECT_EQ(log::field_value("s").type(), log::field_type::string);
  EXPECT_EQ(log::field_value(std::string("s")).type(), log::field_type::string);
  EXPECT_EQ(log::field_value(7).type(), log::field_type::int64);
  EXPECT_EQ(log::field_value(short{-7}).type(), log::field_type::int64);
  EXPECT_EQ(log::field_value(7u).type(), log::field_type::uint64);
  EXPECT_EQ(log::field_value(std::uint64_t{7}).type(), log::field_type::uint64);
  EXPECT_EQ(log::field_value(1.5).type(), log::field_type::float64);
  EXPECT_EQ(log::field_value(1.5f).type(), log::field_type::float64);
  EXPECT_EQ(log::field_value(true).type(), log::field_type::boolean);
}

TEST(LogFields, SettingAnExistingKeyReplacesItsValueInPlace) {
  log::fields fs{{"a", 1}, {"b", 2}};
  fs.set({"a", "one"});
  fs.set({"c", 3});
  ASSERT_EQ(fs.size(), 3u);
  auto it = fs.begin();
  EXPECT_EQ(it->key(), "a");
  EXPECT_EQ(it->value(), log::field_value("one"));
  EXPECT_EQ((++it)->key(), "b");
  EXPECT_EQ((++it)->key(), "c");
}

TEST(LogWith, AddsFieldsInsideOnlyAndReturnsTheResult) {
  EXPECT_EQ(log::current_fields(), nullptr);
  const int r = log::with({{"user", "alice"}, {"tenant", 7}}, [] {
    const log::fields* fs = log::current_fields();
    EXPECT_NE(fs, nullptr);
    if (fs != nullptr) {
      EXPECT_EQ(fs->size(), 2u);
      EXPECT_EQ(fs->find("user")->value(), log::field_value("alice"));
    }
    return 42;
  });
  EXPECT_EQ(r, 42);
  EXPECT_EQ(log::current_fields(), nullptr) << "fields must not leak to the caller";
}

TEST(LogWith, NestedScopesOverrideOuterKeysAndKeepFirstAppearanceOrder) {
  json_logger j;
  log::with({{"a", 1}, {"b", 2}}, [&] {
    log::with({{"c", 3}, {"b", "inner"}}, [&] { j.lg.info("inner"); });
    j.lg.info("outer again");
  });
  const auto lines = j.sink->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(field_keys(lines[0]), (std::vector<std::string>{"a", "b", "c"}));
  const json inner = json::parse(lines[0]);
  EXPECT_EQ(inner["a"], 1);
  EXPECT_EQ(inner["b"], "inner");
  EXPECT_EQ(inner["c"], 3);
  const json outer = json::parse(lines[1]);
  EXPECT_EQ(outer["b"], 2);
  EXPECT_FALSE(outer.contains("c"));
}

TEST(LogWithScope, FieldsLastUntilTheScopeEnds) {
  json_logger j;
  {
    auto outer = log::with_scope({{"user", "alice"}});
    {
      auto inner = log::with_scope({{"user", "bob"}, {"step", 1}});
      j.lg.info("inner");
    }
    j.lg.info("outer");
  }
  j.lg.info("none");
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["user"], "bob");
  EXPECT_EQ(p[0]["step"], 1);
  EXPECT_EQ(p[1]["user"], "alice");
  EXPECT_FALSE(p[1].contains("step"));
  EXPECT_FALSE(p[2].contains("user"));
}

TEST(LogWith, FieldsFollowWorkStartedOnAnotherThreadAndNeverReachSiblings) {
  json_logger j;
  std::thread a;
  std::thread b;
  log::with({{"who", "a"}}, [&] {
    asyncctx::snapshot snap;
    a = std::thread([snap, &j] { snap.run([&] { j.lg.info("from a"); }); });
  });
  log::with({{"who", "b"}}, [&] {
    asyncctx::snapshot snap;
    b = std::thread([snap, &j] { snap.run([&] { j.lg.info("from b"); }); });
  });
  a.join();
  b.join();
  for (const json& line : j.parsed()) {
    EXPECT_EQ(line["msg"], "from " + line["who"].get<std::string>());
  }
}

TEST(LogRecord, JsonLineHasTimeLevelLoggerMsgThenTypedFieldsInOrder) {
  json_logger j;
  log::with({{"s", "str"}, {"i", -3}, {"u", 5u}, {"d", 2.0}, {"t", true}}, [&] { j.lg.warn("hello {}", "world"); });
  const auto lines = j.sink->lines();
  ASSERT_EQ(lines.size(), 1u);
  std::vector<std::string> keys;
  const nlohmann::ordered_json ordered = nlohmann::ordered_json::parse(lines[0]);
  for (auto& [k, v] : ordered.items()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"time", "level", "logger", "msg", "s", "i", "u", "d", "t"}));
  const json line = json::parse(lines[0]);
  EXPECT_EQ(line["level"], "warn");
  EXPECT_EQ(line["logger"], "test");
  EXPECT_EQ(line["msg"], "hello world");
  EXPECT_TRUE(line["s"].is_string());
  EXPECT_TRUE(line["i"].is_number_integer());
  EXPECT_EQ(line["i"], -3);
  EXPECT_TRUE(line["u"].is_number_unsigned());
  EXPECT_TRUE(line["d"].is_number_float());
  EXPECT_TRUE(line["t"].is_boolean());
}

TEST(LogRecord, PerCallFieldsComeLastAndOverrideContextFields) {
  json_logger j;
  log::with({{"user", "alice"}, {"attempt", 1}}, [&] { j.lg.info({{"attempt", 2}, {"url", "/x"}}, "retry"); });
  const auto lines = j.sink->lines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(field_keys(lines[0]), (std::vector<std::string>{"user", "attempt", "url"}));
  EXPECT_EQ(json::parse(lines[0])["attempt"], 2);
}

TEST(LogRecord, DefaultLoggerFunctionsCarryTheFields) {
  json_logger j;
  auto previous = spdlog::default_logger();
  spdlog::set_default_logger(j.spd);
  log::with({{"user", "alice"}}, [] {
    log::info("one {}", 1);
    log::error({{"code", 7}}, "two");
    log::debug("three");
  });
  spdlog::set_default_logger(previous);
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["msg"], "one 1");
  EXPECT_EQ(p[0]["user"], "alice");
  EXPECT_EQ(p[1]["level"], "error");
  EXPECT_EQ(p[1]["code"], 7);
  EXPECT_EQ(p[2]["level"], "debug");
}

TEST(LogRecord, PlainSpdlogCallsOnTheSameLoggerHaveNoFields) {
  json_logger j;
  log::with({{"user", "alice"}}, [&] { j.spd->info("plain {}", 1); });
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["msg"], "plain 1");
  EXPECT_FALSE(p[0].contains("user"));
}

TEST(LogRecord, AMessageEndingInFooterLikeBytesIsNotTakenForFields) {
  // The footer's key is random per process: bytes that merely look like a footer are text.
  json_logger j;
  std::string fake(16, '\0');
  fake[0] = 3;  // message length 3 and fields length 0 add up to the payload's 19 bytes; the key is wrong
  const std::string payload = "abc" + fake;
  j.spd->info("{}", payload);
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["msg"].get<std::string>().size(), payload.size());
}

TEST(LogRecord, DecodingRefusesFieldEncodingsWithAKeyTheEncoderWouldNotMake) {
  // Keys are written unescaped, so the decoder checks them too: a bad one drops the fields.
  for (const std::string_view key : {std::string_view("ok"), std::string_view("a\nb")}) {
    log::record_buffer buf;
    buf.append(std::string_view("msg"));
    log::detail::encode_string(buf, key, "v");
    const std::uint32_t ml = 3;
    const auto fl = static_cast<std::uint32_t>(buf.size() - 3);
    const std::uint64_t k = log::detail::record_key();
    log::detail::append_raw(buf, &ml, 4);
    log::detail::append_raw(buf, &fl, 4);
    log::detail::append_raw(buf, &k, 8);
    log::record_view r;
    r.decode_payload(std::string_view(buf.data(), buf.size()));
    EXPECT_TRUE(r.has_fields());
    EXPECT_EQ(r.message(), "msg");
    EXPECT_EQ(r.fields().size(), key == "ok" ? 1u : 0u) << key;
  }
}

TEST(LogRequestProvider, WritesRequestIdMethodAndPathOfTheCurrentRequest) {
  json_logger j;
  namespace aa = asyncctx::asio;
  aa::request_variable().run(aa::make_request_context("req-1", "POST", "/orders/7?verbose=1"), [&] {
    log::with({{"user", "alice"}}, [&] { j.lg.info("handled"); });
  });
  j.lg.info("outside");
  const auto lines = j.sink->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(field_keys(lines[0]), (std::vector<std::string>{"request_id", "method", "path", "user"}));
  const json in = json::parse(lines[0]);
  EXPECT_EQ(in["request_id"], "req-1");
  EXPECT_EQ(in["method"], "POST");
  EXPECT_EQ(in["path"], "/orders/7");
  EXPECT_EQ(field_keys(lines[1]), std::vector<std::string>{});
}

// A stand-in for the trace target's provider: the active span lives in a variable, and the
// provider writes its ids, registered through the public API only.
struct fake_span {
  std::string trace_id;
  std::string span_id;
  int flags;
};

TEST(LogFieldProvider, ARegisteredProviderAddsFieldsFromContextUntilRemoved) {
  static const asyncctx::variable<fake_span> active_span;
  const log::provider_id id = log::add_field_provider("trace", [](log::field_writer& out) {
    if (const fake_span* s = active_span.get()) {
      out.add("trace_id", s->trace_id);
      out.add("span_id", s->span_id);
      out.add("trace_flags", s->flags);
    }
  });
  EXPECT_NE(id, 0u);
  EXPECT_NE(id, log::request_provider_id);
  json_logger j;
  active_span.run({"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1}, [&] { j.lg.info("in span"); });
  j.lg.info("no span");
  EXPECT_TRUE(log::remove_field_provider(id));
  EXPECT_FALSE(log::remove_field_provider(id));
  active_span.run({"4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7", 1}, [&] { j.lg.info("removed"); });
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0]["trace_id"], "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(p[0]["span_id"], "00f067aa0ba902b7");
  EXPECT_EQ(p[0]["trace_flags"], 1);
  EXPECT_FALSE(p[1].contains("trace_id"));
  EXPECT_FALSE(p[2].contains("trace_id"));
}

TEST(LogFieldProvider, AThrowingProviderIsReportedAndTheLineIsStillWrittenWithoutItsFields) {
  asyncctx_test::error_recorder recorder(asyncctx::error_kind::log_field_provider);
  const log::provider_id id = log::add_field_provider("flaky", [](log::field_writer& out) {
    out.add("partial", 1);
    throw std::runtime_error("provider failed");
  });
  json_logger j;
  log::with({{"user", "alice"}}, [&] { j.lg.info("still written"); });
  log::remove_field_provider(id);
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_EQ(p[0]["msg"], "still written");
  EXPECT_EQ(p[0]["user"], "alice");
  EXPECT_FALSE(p[0].contains("partial")) << "what the failing provider added is dropped";
  const auto reports = recorder.reports();
  ASSERT_EQ(reports.size(), 1u);
  EXPECT_NE(reports[0].message.find("'flaky'"), std::string::npos) << reports[0].message;
}

TEST(LogFieldProvider, AProviderUsingAnInvalidKeyIsReportedNamingTheKey) {
  asyncctx_test::error_recorder recorder(asyncctx::error_kind::log_field_provider);
  const log::provider_id id = log::add_field_provider("bad-key", [](log::field_writer& out) { out.add("x y", 1); });
  json_logger j;
  j.lg.info("line");
  log::remove_field_provider(id);
  ASSERT_EQ(j.parsed().size(), 1u);
  const auto reports = recorder.reports();
  ASSERT_EQ(reports.size(), 1u);
  try {
    std::rethrow_exception(reports[0].exception);
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("\"x y\""), std::string::npos) << e.what();
  }
}

TEST(LogFieldProvider, AnEmptyProviderIsRefused) {
  EXPECT_THROW(log::add_field_provider("empty", nullptr), std::invalid_argument);
}

TEST(LogMixin, IsCalledWithTheLevelOnlyForEnabledRecordsAndOverridesContextFields) {
  std::atomic<int> calls{0};
  std::vector<log::level> levels;
  log::set_mixin([&](log::level l, log::field_writer& out) {
    ++calls;
    levels.push_back(l);
    out.add("user", "from-mixin");
    out.add("mixed", true);
  });
  json_logger j;
  j.spd->set_level(spdlog::level::warn);
  log::with({{"user", "alice"}}, [&] {
    j.lg.info("disabled");
    j.lg.debug("disabled");
    j.lg.error("enabled");
  });
  log::set_mixin(nullptr);
  j.lg.error("no mixin");
  EXPECT_EQ(calls.load(), 1);
  EXPECT_EQ(levels, std::vector<log::level>{log::level::error});
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0]["user"], "from-mixin");
  EXPECT_EQ(p[0]["mixed"], true);
  EXPECT_FALSE(p[1].contains("mixed"));
}

TEST(LogMixin, AThrowingMixinIsReportedAndTheLineIsStillWritten) {
  asyncctx_test::error_recorder recorder(asyncctx::error_kind::log_field_provider);
  log::set_mixin([](log::level, log::field_writer& out) {
    out.add("half", 1);
    throw std::runtime_error("mixin failed");
  });
  json_logger j;
  j.lg.info("line");
  log::set_mixin(nullptr);
  const auto p = j.parsed();
  ASSERT_EQ(p.size(), 1u);
  EXPECT_FALSE(p[0].contains("half"));
  EXPECT_EQ(recorder.reports().size(), 1u);
}

TEST(LogDisabledLevel, CallsNoProvider) {
  std::atomic<int> calls{0};
  const log::provider_id id = log::add_field_provider("count", [&](log::field_writer&) { ++calls; });
  json_logger j;
  j.spd->set_level(spdlog::level::err);
  j.lg.info("off");
  j.lg.warn({{"k", 1}}, "off");
  EXPECT_EQ(calls.load(), 0);
  j.lg.error("on");
  EXPECT_EQ(calls.load(), 1);
  log::remove_field_provider(id);
  EXPECT_EQ(j.parsed().size(), 1u);
}

class throwing_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit throwing_sink(bool std_exception) : std_exception_(std_exception) {}

 protected:
  void sink_it_(const spdlog::details::log_msg&) override {
    if (std_exception_) throw std::runtime_error("disk full");
    throw 42;  // spdlog rethrows what is not a std::exception
  }
  void flush_() override {}

 private:
  bool std_exception_;
};

TEST(LogSinkErrors, AThrowingSinkIsReportedOnTheErrorChannelAndTheCallerGoesOn) {
  for (const bool std_exception : {true, false}) {
    asyncctx_test::error_recorder recorder(asyncctx::error_kind::log_write);
    auto spd = std::make_shared<spdlog::logger>("throwing", std::make_shared<throwing_sink>(std_exception));
    log::configure(*spd, line_format::json);
    log::logger lg(spd);
    EXPECT_NO_THROW(lg.info("lost {}", 1));
    const auto reports = recorder.reports();
    // A non-std exception is reported twice: by spdlog's error handler (set by configure),
    // which then rethrows it, and by the call that catches the rethrow.
    ASSERT_EQ(reports.size(), std_exception ? 1u : 2u) << "std_exception=" << std_exception;
    if (std_exception) {
      try {
        std::rethrow_exception(reports[0].exception);
      } catch (const std::exception& e) {
        EXPECT_NE(std::string(e.what()).find("disk full"), std::string::npos) << e.what();
      }
    }
  }
}

TEST(LogPatternFormatter, PercentVIsTheMessageAloneAndPercentStarTheFields) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  auto spd = std::make_shared<spdlog::logger>("pat", sink);
  spd->set_formatter(std::make_unique<log::pattern_formatter>("[%l] %v | %*"));
  log::logger lg(spd);
  log::with({{"user", "alice smith"}, {"n", 3}}, [&] { lg.info("hello {}", "x"); });
  spd->info("plain");
  const auto lines = sink->lines();
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], "[info] hello x | user=\"alice smith\" n=3\n");
  EXPECT_EQ(lines[1], "[info] plain | \n");
  // A clone (one per sink) formats the same.
  auto clone = std::make_unique<log::pattern_formatter>("%v %*")->clone();
  spdlog::memory_buf_t out;
  log::record_buffer rec;
  rec.append(std::string_view("m"));
  log::with({{"k", "v"}}, [&] { log::detail::capture_fields(rec, rec.size(), log::level::info, nullptr, 0); });
  spdlog::details::log_msg msg("x", spdlog::level::info, spdlog::string_view_t(rec.data(), rec.size()));
  clone->format(msg, out);
  EXPECT_EQ(std::string(out.data(), out.size()), "m k=v\n");
}

TEST(LogTextFormat, WritesKeyValuePairsQuotingWhereNeeded) {
  auto sink = std::make_shared<asyncctx_test::line_sink>();
  log::logger lg(asyncctx_test::make_logger("txt", sink, line_format::text));
  log::with({{"user", "alice"}, {"note", "two words"}, {"empty", ""}, {"eq", "a=b"}, {"ok", false}},
            [&] { lg.info("hi"); });
  const auto lines = sink->lines();
  ASSERT_EQ(lines.size(), 1u);
  const std::string& l = lines[0];
  ASSERT_EQ(l.rfind("time=", 0), 0u) << l;
  EXPECT_NE(l.find(" level=info logger=txt msg=hi user=alice note=\"two words\" empty=\"\" eq=\"a=b\" ok=false\n"),
            std::string::npos)
      << l;
}

}  // namespace
