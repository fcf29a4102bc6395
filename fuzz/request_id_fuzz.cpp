// libFuzzer target for the request-id validator (asyncctx/asio/request_context.hpp): the
// X-Request-ID header is outside input. Checks the validator against an independent reading
// of the rule (1–128 characters of [A-Za-z0-9._:-]) and that make_request_context never
// takes an invalid value as the id.
//   request_id_fuzz -max_total_time=10
#include <asyncctx/asio/request_context.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  constexpr std::string_view allowed = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._:-";
  bool expected = size >= 1 && size <= 128;
  for (std::size_t i = 0; expected && i < size; ++i) expected = allowed.find(input[i]) != std::string_view::npos;

  const bool valid = asyncctx::asio::is_valid_request_id(input);
  if (valid != expected) std::abort();

  const asyncctx::asio::request_context rc = asyncctx::asio::make_request_context(input, "GET", "/");
  if (!asyncctx::asio::is_valid_request_id(rc.id)) std::abort();
  if (valid != (!rc.id_generated && rc.id == input)) std::abort();
  return 0;
}
