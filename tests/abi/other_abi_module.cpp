// A plug-in built against another ABI version of asyncctx (ASYNCCTX_ABI_NAMESPACE=abi_v999 on
// its command line): every library symbol it uses is in that inline namespace, so it cannot
// bind to this build's library, and loading it fails instead of running with a second copy
// of the library's state.
#include <asyncctx/variable.hpp>

extern "C" int other_abi_module_read() {
  static asyncctx::variable<int> v;  // its key comes from the library (new_key)
  return v.value_or(-1);
}
