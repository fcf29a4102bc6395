#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <memory>
#include <thread>

namespace {

struct destruction_flag {
  std::shared_ptr<bool> destroyed;
  ~destruction_flag() {
    if (destroyed) *destroyed = true;
  }
  destruction_flag(std::shared_ptr<bool> d) : destroyed(std::move(d)) {}  // NOLINT
  destruction_flag(destruction_flag&& o) noexcept = default;
};

TEST(ThreadState, EnterWithAtTopLevelOfAThreadIsReleasedWhenTheThreadExits) {
  asyncctx::async_local_storage<destruction_flag> storage;
  auto destroyed = std::make_shared<bool>(false);
  std::thread([&] { storage.enter_with(destruction_flag(destroyed)); }).join();
  EXPECT_TRUE(*destroyed) << "the store bound by enter_with must die with its thread";
}

TEST(ThreadState, AScopeNeverRestoredIsReleasedWhenTheThreadExits) {
  asyncctx::variable<destruction_flag> v;
  auto destroyed = std::make_shared<bool>(false);
  std::thread([&] {
    // A scope that is never destroyed (so never restored), without leaking heap memory.
    alignas(asyncctx::scope) unsigned char storage[sizeof(asyncctx::scope)];
    ::new (static_cast<void*>(storage)) asyncctx::scope(v.set(destruction_flag(destroyed)));
  }).join();
  EXPECT_TRUE(*destroyed);
}

TEST(ThreadState, CapturedFrameOutlivesTheThreadThatMadeIt) {
  asyncctx::variable<int> v;
  asyncctx::detail::frame* captured = nullptr;
  std::thread([&] { v.run(5, [&] { captured = asyncctx::detail::capture_current(); }); }).join();
  ASSERT_NE(captured, nullptr);
  asyncctx::detail::context_swap in(captured);
  EXPECT_EQ(*v.get(), 5);
}

}  // namespace
