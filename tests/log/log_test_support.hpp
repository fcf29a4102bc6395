// Helpers of the asyncctx::log tests: a sink that keeps its formatted lines, and loggers
// configured with the library's formatters.
#pragma once

#include <asyncctx/log/spdlog_formatter.hpp>

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <spdlog/details/null_mutex.h>
#include <spdlog/logger.h>
#include <spdlog/sinks/base_sink.h>

namespace asyncctx_test {

// Keeps every formatted line (with its '\n').
class line_sink final : public spdlog::sinks::base_sink<std::mutex> {
 public:
  std::vector<std::string> lines() {
    std::lock_guard lock(mutex_);
    return lines_;
  }

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t buf;
    formatter_->format(msg, buf);
    lines_.emplace_back(buf.data(), buf.size());
  }
  void flush_() override {}

 private:
  std::vector<std::string> lines_;
};

// A synchronous logger named `name` writing `format` lines into `sink`, every level enabled.
inline std::shared_ptr<spdlog::logger> make_logger(const std::string& name, std::shared_ptr<line_sink> sink,
                                                   asyncctx::log::line_format format) {
  auto lg = std::make_shared<spdlog::logger>(name, std::move(sink));
  lg->set_level(spdlog::level::trace);
  asyncctx::log::configure(*lg, format);
  return lg;
}

}  // namespace asyncctx_test
