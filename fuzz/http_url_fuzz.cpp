// libFuzzer target for the URL parser (asyncctx/trace/http_url.hpp), which reads endpoints
// from the environment and call targets from request bodies (trace_context_service). Never a
// crash; a parsed URL printed back parses to the same URL; its target never holds a character
// that could break a request line.
//   http_url_fuzz -max_total_time=10
#include <asyncctx/trace/http_url.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto url = asyncctx::trace::parse_http_url(input);
  if (!url) return 0;
  for (const char c : url->target) {
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) std::abort();
  }
  if (url->target.empty() || url->target.front() != '/') std::abort();
  const auto again = asyncctx::trace::parse_http_url(url->scheme + "://" + url->host_header() + url->target);
  if (!again || *again != *url) std::abort();
  return 0;
}
