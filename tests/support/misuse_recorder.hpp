// Installs an error handler that records misuse reports instead of aborting, for the life of
// the recorder (tests of the documented release-build behaviour). Reports of other kinds go
// to the handler that was installed before.
#pragma once

#include <asyncctx/error_handler.hpp>

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace asyncctx_test {

class misuse_recorder {
 public:
  misuse_recorder() {
    messages().clear();
    previous_ = asyncctx::set_error_handler([this](const asyncctx::error_report& r) {
      if (r.kind == asyncctx::error_kind::misuse) {
        record(r.message);
      } else if (previous_) {
        previous_(r);
      }
    });
  }
  misuse_recorder(const misuse_recorder&) = delete;
  misuse_recorder& operator=(const misuse_recorder&) = delete;
  ~misuse_recorder() { asyncctx::set_error_handler(previous_); }

  static std::vector<std::string> taken() {
    std::lock_guard lock(mutex());
    return messages();
  }

 private:
  static void record(std::string_view message) {
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

  asyncctx::error_handler previous_;
};

// Records every report of one kind (its exception, and what `probe` says of the context the
// report was made in), for the life of the recorder; other kinds go to the previous handler.
class error_recorder {
 public:
  struct report {
    std::exception_ptr exception;
    std::string message;
    std::string context;
  };
  template <class Probe>
  error_recorder(asyncctx::error_kind kind, Probe probe) {
    previous_ = asyncctx::set_error_handler([this, kind, probe](const asyncctx::error_report& r) {
      if (r.kind != kind) {
        if (previous_) previous_(r);
        return;
      }
      std::lock_guard lock(mutex_);
      reports_.push_back({r.exception, std::string(r.message), probe()});
    });
  }
  explicit error_recorder(asyncctx::error_kind kind) : error_recorder(kind, [] { return std::string(); }) {}
  error_recorder(const error_recorder&) = delete;
  error_recorder& operator=(const error_recorder&) = delete;
  ~error_recorder() { asyncctx::set_error_handler(previous_); }

  std::vector<report> reports() {
    std::lock_guard lock(mutex_);
    return reports_;
  }

 private:
  std::mutex mutex_;
  std::vector<report> reports_;
  asyncctx::error_handler previous_;
};

}  // namespace asyncctx_test
