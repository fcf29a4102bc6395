// Reporting of API misuse that cannot be turned into an exception (for example a scope
// restored out of LIFO order from a destructor).
#pragma once

#include <string_view>

namespace asyncctx {

// Called with a human-readable description of the misuse. It must not throw.
using misuse_handler = void (*)(std::string_view message) noexcept;

// Installs `handler` for the whole process and returns the previous one; nullptr restores
// the default. The default prints the message to stderr and, in builds without NDEBUG,
// aborts (a debug assertion); release builds carry on with the documented behaviour.
misuse_handler set_misuse_handler(misuse_handler handler) noexcept;

namespace detail {
void report_misuse(std::string_view message) noexcept;
}  // namespace detail

}  // namespace asyncctx
