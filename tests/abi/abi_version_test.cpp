// Code built against another ABI version of the library refers to other symbols (the inline
// namespace ASYNCCTX_ABI_NAMESPACE): it fails to load, with a message naming the ABI, and
// never runs with a second copy of the library's state.
#include <asyncctx/detail/config.hpp>
#include <asyncctx/version.hpp>

#include <gtest/gtest.h>

#include <string>

#include <dlfcn.h>

namespace {

TEST(AbiVersion, APlugInBuiltAgainstAnotherAbiRefusesToLoadNamingIt) {
  void* module = dlopen(ASYNCCTX_OTHER_ABI_MODULE, RTLD_NOW | RTLD_LOCAL);
  const char* error = module == nullptr ? dlerror() : nullptr;
  if (module != nullptr) dlclose(module);
  ASSERT_EQ(module, nullptr) << "a module of another ABI must not load";
  EXPECT_NE(std::string(error).find("abi_v999"), std::string::npos) << error;
}

TEST(AbiVersion, TheHeadersNamespaceIsTheAbiVersionOfTheBuild) {
  EXPECT_EQ(std::string(ASYNCCTX_STRINGIFY(ASYNCCTX_ABI_NAMESPACE)), "abi_v" + std::to_string(ASYNCCTX_ABI_VERSION));
}

}  // namespace
