// asyncctx::log allocation behaviour, counted with a replaced global operator new: a disabled
// level allocates nothing and calls no provider or mixin; an enabled record with context
// fields, a request and per-call fields allocates nothing of its own on the way to a sink that
// keeps nothing (spdlog's null sink).
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <memory>
#include <new>

#include <spdlog/sinks/null_sink.h>

namespace {
std::atomic<bool> g_counting{false};
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  if (g_counting.load(std::memory_order_relaxed)) g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace {

namespace log = asyncctx::log;

// Counts the allocations made by `f` on any thread (the test runs no other thread).
template <class F>
long allocations_of(F&& f) {
  g_allocations = 0;
  g_counting = true;
  f();
  g_counting = false;
  return g_allocations.load();
}

TEST(LogAllocations, ADisabledLevelAllocatesNothingAndCallsNoProviderOrMixin) {
  std::atomic<int> provider_calls{0};
  std::atomic<int> mixin_calls{0};
  const log::provider_id id = log::add_field_provider("count", [&](log::field_writer&) { ++provider_calls; });
  log::set_mixin([&](log::level, log::field_writer&) { ++mixin_calls; });
  auto spd = std::make_shared<spdlog::logger>("off", std::make_shared<spdlog::sinks::null_sink_mt>());
  spd->set_level(spdlog::level::warn);
  log::logger lg(spd);
  log::with({{"user", "alice"}, {"tenant", 7}, {"role", "admin"}}, [&] {
    const long n = allocations_of([&] {
      for (int i = 0; i < 1000; ++i) {
        lg.info("disabled {} {}", i, "a string argument that would not fit any small buffer, were it formatted");
        lg.debug({{"per_call", "field"}}, "disabled {}", i);
      }
    });
    EXPECT_EQ(n, 0);
  });
  EXPECT_EQ(provider_calls.load(), 0);
  EXPECT_EQ(mixin_calls.load(), 0);
  log::set_mixin(nullptr);
  log::remove_field_provider(id);
}

TEST(LogAllocations, ADisabledLevelWithoutPerCallFieldsAllocatesNothing) {
  auto spd = std::make_shared<spdlog::logger>("off", std::make_shared<spdlog::sinks::null_sink_mt>());
  spd->set_level(spdlog::level::err);
  log::logger lg(spd);
  log::with({{"user", "alice"}}, [&] {
    EXPECT_EQ(allocations_of([&] {
                for (int i = 0; i < 1000; ++i) lg.info("disabled {}", i);
              }),
              0);
  });
}

TEST(LogAllocations, AnEnabledRecordWithContextFieldsAndARequestAllocatesNothingToANullSink) {
  auto spd = std::make_shared<spdlog::logger>("on", std::make_shared<spdlog::sinks::null_sink_mt>());
  spd->set_level(spdlog::level::trace);
  log::configure(*spd, log::line_format::json);
  log::logger lg(spd);
  namespace aa = asyncctx::asio;
  aa::request_variable().run(aa::make_request_context("req-1", "GET", "/x"), [&] {
    log::with({{"user", "alice"}, {"tenant", 7}, {"admin", true}}, [&] {
      lg.info("warm up");
      EXPECT_EQ(allocations_of([&] {
                  for (int i = 0; i < 1000; ++i) lg.info("enabled {}", i);
                }),
                0);
    });
  });
}

}  // namespace
