// An instrumented value type for lifetime tests: counts the destructions of "live" objects
// (moved-from shells do not count), so a test can say exactly when a bound value dies.
#pragma once

#include <utility>

namespace asyncctx_test {

struct tracked {
  explicit tracked(int v, int* destroyed) noexcept : value(v), destroyed_(destroyed) {}
  tracked(const tracked& o) noexcept : value(o.value), destroyed_(o.destroyed_) {}
  tracked(tracked&& o) noexcept : value(o.value), destroyed_(std::exchange(o.destroyed_, nullptr)) {}
  tracked& operator=(const tracked&) = delete;
  tracked& operator=(tracked&&) = delete;
  ~tracked() {
    if (destroyed_ != nullptr) ++*destroyed_;
  }

  int value;

 private:
  int* destroyed_;
};

}  // namespace asyncctx_test
