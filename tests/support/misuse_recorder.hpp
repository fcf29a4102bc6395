// Installs a misuse handler that records the messages instead of aborting, for the life of
// the recorder (tests of the documented release-build behaviour).
#pragma once

#include <asyncctx/misuse.hpp>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace asyncctx_test {

class misuse_recorder {
 public:
  misuse_recorder() : previous_(asyncctx::set_misuse_handler(&record)) { messages().clear(); }
  misuse_recorder(const misuse_recorder&) = delete;
  misuse_recorder& operator=(const misuse_recorder&) = delete;
  ~misuse_recorder() { asyncctx::set_misuse_handler(previous_); }

  static std::vector<std::string> taken() {
    std::lock_guard lock(mutex());
    return messages();
  }

 private:
  static void record(std::string_view message) noexcept {
    std::lock_guard lock(mutex());
    messages().emplace_back(message);
  }
  static std::vector<std::string>& messages() {
    static std::vector<std::string> m;
    return m;
  }
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }

  asyncctx::misuse_handler previous_;
};

}  // namespace asyncctx_test
