#include <asyncctx/misuse.hpp>

#include <atomic>
#include <cstdio>
#include <cstdlib>

namespace asyncctx {
namespace {

void default_misuse_handler(std::string_view message) noexcept {
  std::fprintf(stderr, "asyncctx: misuse: %.*s\n", static_cast<int>(message.size()), message.data());
#if !defined(NDEBUG)
  std::fputs("asyncctx: aborting (debug build; see asyncctx::set_misuse_handler)\n", stderr);
  std::abort();
#endif
}

std::atomic<misuse_handler> g_handler{&default_misuse_handler};

}  // namespace

misuse_handler set_misuse_handler(misuse_handler handler) noexcept {
  return g_handler.exchange(handler != nullptr ? handler : &default_misuse_handler);
}

namespace detail {
void report_misuse(std::string_view message) noexcept { g_handler.load()(message); }
}  // namespace detail

}  // namespace asyncctx
