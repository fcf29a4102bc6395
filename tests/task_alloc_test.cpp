// No heap allocation is caused by context per co_await hop: a replaced global operator new
// counts allocations while tasks hop with 0 and with 3 active variables. Task coroutine
// frames come from the per-thread block cache (block_allocator.hpp), so in builds with the
// cache a ready child costs no allocation at all after the first; sanitizer builds bypass
// the cache and pay exactly one (the frame) per child.
#include <asyncctx/detail/block_allocator.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>
#include <vector>

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t n) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* p = std::malloc(n == 0 ? 1 : n)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

using asyncctx::task;

struct resume_self {
  bool await_ready() const noexcept { return false; }
  std::coroutine_handle<> await_suspend(std::coroutine_handle<> h) const noexcept { return h; }
  void await_resume() const noexcept {}
};

asyncctx::variable<int> a, b, c;

task<int> child() { co_return a.value_or(0); }

// Allocations made by `hops` awaits of each kind, in the current context.
long count_child_hops(int hops) {
  auto loop = [](int n) -> task<long> {
    long sum = 0;
    const long before = g_allocations.load();
    for (int i = 0; i < n; ++i) sum += co_await child();
    const long used = g_allocations.load() - before;
    co_return used + 0 * sum;
  };
  return asyncctx::sync_wait(loop(hops));
}

long count_plain_hops(int hops) {
  auto loop = [](int n) -> task<long> {
    const long before = g_allocations.load();
    for (int i = 0; i < n; ++i) co_await resume_self{};
    co_return g_allocations.load() - before;
  };
  return asyncctx::sync_wait(loop(hops));
}

TEST(TaskAllocations, ContextAddsNoAllocationPerHop) {
  constexpr int hops = 10'000;
  const long empty_child = count_child_hops(hops);
  const long empty_plain = count_plain_hops(hops);
  long bound_child = 0, bound_plain = 0;
  a.run(1, [&] {
    b.run(2, [&] {
      c.run(3, [&] {
        bound_child = count_child_hops(hops);
        bound_plain = count_plain_hops(hops);
      });
    });
  });
  // A child task costs its coroutine frame (from the thread's block cache after the first),
  // nothing else; a resume costs nothing.
  EXPECT_LE(empty_child, 1);
  EXPECT_LE(bound_child, 1);
  EXPECT_EQ(empty_plain, 0);
  EXPECT_EQ(bound_plain, 0);
}

// The frames of finished tasks go back to the thread's cache, bounded per size class.
TEST(TaskAllocations, FinishedTaskFramesAreCachedAndBounded) {
  // Many tasks alive at once, then all freed: the cache keeps at most its bound.
  std::vector<task<int>> many;
  for (int i = 0; i < 1000; ++i) many.push_back(child());
  many.clear();
  const auto& cache = asyncctx::detail::execution_state::here().blocks();
  for (std::size_t cls = 0; cls < asyncctx::detail::block_classes; ++cls) {
    EXPECT_LE(cache.count[cls], asyncctx::detail::block_class_capacity.of[cls]);
  }
  // Then creating and destroying one allocates nothing.
  const long before = g_allocations.load();
  for (int i = 0; i < 100; ++i) (void)task<int>(child());
  EXPECT_EQ(g_allocations.load() - before, 0);
}

}  // namespace
