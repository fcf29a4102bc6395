// asyncctx::snapshot: TC39 AsyncContext.Snapshot semantics (test262 Snapshot/*).
#include <asyncctx/snapshot.hpp>
#include <asyncctx/variable.hpp>

#include <gtest/gtest.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

namespace {

TEST(Snapshot, RunSeesTheContextOfCaptureNotOfCall) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> snap;
  v.run(123, [&] { snap.emplace(); });
  v.run(321, [&] {
    snap->run([&] { EXPECT_EQ(*v.get(), 123); });
    EXPECT_EQ(*v.get(), 321);
  });
}

TEST(Snapshot, CallOperatorIsRun) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> snap;
  v.run(1, [&] { snap.emplace(); });
  EXPECT_EQ((*snap)([&](int a) { return *v.get() + a; }, 10), 11);
}

TEST(Snapshot, RunForwardsArgumentsAndReturnsTheResult) {
  asyncctx::snapshot snap;
  auto p = std::make_unique<int>(4);
  const int r = snap.run([](int a, std::unique_ptr<int> q) { return a * *q; }, 3, std::move(p));
  EXPECT_EQ(r, 12);
}

TEST(Snapshot, RunRestoresVariablesThatWereUnsetAtCapture) {
  asyncctx::variable<int> v;
  asyncctx::snapshot empty;  // nothing bound
  v.run(1, [&] {
    empty.run([&] { EXPECT_EQ(v.get(), nullptr); });
    EXPECT_EQ(*v.get(), 1);
  });
}

TEST(Snapshot, UnrelatedVariablesKeepTheirCapturedValues) {
  asyncctx::variable<int> a;
  asyncctx::variable<std::string> b;
  std::optional<asyncctx::snapshot> snap;
  a.run(1, [&] { b.run("x", [&] { snap.emplace(); }); });
  a.run(2, [&] {
    snap->run([&] {
      EXPECT_EQ(*a.get(), 1);
      EXPECT_EQ(*b.get(), "x");
    });
  });
}

TEST(Snapshot, RunRestoresTheCallersContextAfterTheCallbackThrows) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> snap;
  v.run(1, [&] { snap.emplace(); });
  v.run(2, [&] {
    EXPECT_THROW(snap->run([] { throw std::runtime_error("boom"); }), std::runtime_error);
    EXPECT_EQ(*v.get(), 2);
  });
}

TEST(Snapshot, BindingInsideRunDoesNotChangeTheSnapshot) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> snap;
  v.run(1, [&] { snap.emplace(); });
  snap->run([&] {
    auto s = v.set(2);
    EXPECT_EQ(*v.get(), 2);
  });
  snap->run([&] { EXPECT_EQ(*v.get(), 1); });
}

TEST(Snapshot, WrapCallsInTheWrapTimeContext) {
  asyncctx::variable<int> v;
  std::function<int()> wrapped;
  v.run(1, [&] { wrapped = asyncctx::snapshot::wrap([&] { return *v.get(); }); });
  v.run(2, [&] { EXPECT_EQ(wrapped(), 1); });
  EXPECT_EQ(wrapped(), 1);
  EXPECT_EQ(v.get(), nullptr);
}

TEST(Snapshot, WrapForwardsArgumentsAndResult) {
  auto wrapped = asyncctx::snapshot::wrap(
      [](int a, const std::string& s, std::unique_ptr<int> p) { return a + static_cast<int>(s.size()) + *p; });
  EXPECT_EQ(wrapped(1, std::string("ab"), std::make_unique<int>(10)), 13);
}

TEST(Snapshot, WrapOfAnEmptyStdFunctionThrowsInvalidArgument) {
  std::function<void()> empty;
  EXPECT_THROW(asyncctx::snapshot::wrap(empty), std::invalid_argument);
}

TEST(Snapshot, WrapOfANullFunctionPointerThrowsInvalidArgument) {
  void (*null_fn)() = nullptr;
  EXPECT_THROW(asyncctx::snapshot::wrap(null_fn), std::invalid_argument);
}

TEST(Snapshot, WrapOfAMoveOnlyCallableIsCallableOnceAsAnRvalue) {
  asyncctx::variable<int> v;
  auto p = std::make_unique<int>(5);
  auto wrapped =
      v.run(8, [&] { return asyncctx::snapshot::wrap([q = std::move(p), &v]() mutable { return *q + *v.get(); }); });
  EXPECT_EQ(std::move(wrapped)(), 13);
}

TEST(Snapshot, CopiesCaptureTheSameContext) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> a;
  v.run(1, [&] { a.emplace(); });
  asyncctx::snapshot b = *a;
  EXPECT_TRUE(b == *a);
  a.reset();
  b.run([&] { EXPECT_EQ(*v.get(), 1); });
}

TEST(Snapshot, SnapshotsOfDifferentContextsCompareUnequal) {
  asyncctx::variable<int> v;
  asyncctx::snapshot top;
  v.run(1, [&] { EXPECT_FALSE(asyncctx::snapshot{} == top); });
}

TEST(Snapshot, AMovedFromSnapshotRunsInTheEmptyContext) {
  asyncctx::variable<int> v;
  std::optional<asyncctx::snapshot> a;
  v.run(1, [&] { a.emplace(); });
  asyncctx::snapshot b = std::move(*a);
  a->run([&] { EXPECT_EQ(v.get(), nullptr); });  // NOLINT(bugprone-use-after-move): defined state
  b.run([&] { EXPECT_EQ(*v.get(), 1); });
}

TEST(Snapshot, CaptureCostIsOneReferenceWhateverTheNumberOfVariables) {
  // Capturing shares the current frame: the snapshot sees the very frame that is current,
  // not a copy (checked through equality of two captures, which compares frames).
  asyncctx::variable<int> vars[50];
  std::function<void(int)> bind_all = [&](int i) {
    if (i == 50) {
      asyncctx::snapshot a;
      asyncctx::snapshot b;
      EXPECT_TRUE(a == b);
      return;
    }
    vars[i].run(i, bind_all, i + 1);
  };
  bind_all(0);
}

}  // namespace
