// Must not compile: a value whose destructor may throw is refused at compile time, since
// values are destroyed where no caller can catch (variable.hpp, async_local_storage.hpp).
// Built by the ctest entry `compile_fail_throwing_destructor_*`, which expects the error.
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/variable.hpp>

struct throws_when_destroyed {
  ~throws_when_destroyed() noexcept(false) {}
};

int main() {
#if defined(ASYNCCTX_COMPILE_FAIL_VARIABLE)
  asyncctx::variable<throws_when_destroyed> v;
  (void)v;
#else
  asyncctx::async_local_storage<throws_when_destroyed> s;
  (void)s;
#endif
}
