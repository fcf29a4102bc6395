#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/trace/simple_span_processor.hpp>
#include <asyncctx/trace/suppress.hpp>

#include <exception>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

simple_span_processor::simple_span_processor(std::shared_ptr<span_exporter> exporter)
    : exporter_(std::move(exporter)) {}

simple_span_processor::~simple_span_processor() { shutdown(std::chrono::seconds(30)); }

void simple_span_processor::on_end(span_data&& span) {
  if ((span.trace_flags & trace_flag_sampled) == 0 || !exporter_) return;
  std::lock_guard lock(mutex_);
  if (shut_down_.load(std::memory_order_relaxed)) return;
  span_exporter::result r = span_exporter::result::failure;
  try {
    r = suppress([&] { return exporter_->export_spans(std::span<const span_data>(&span, 1)); });
  } catch (...) {
    asyncctx::detail::report_error(error_kind::trace_export, "the span exporter threw; 1 span lost",
                                   std::current_exception());
    return;
  }
  if (r != span_exporter::result::success) {
    asyncctx::detail::report_error(error_kind::trace_export, "the span exporter failed; 1 span lost", nullptr);
  }
}

bool simple_span_processor::force_flush(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mutex_);
  if (shut_down_.load(std::memory_order_relaxed) || !exporter_) return true;
  return suppress([&] { return exporter_->force_flush(timeout); });
}

bool simple_span_processor::shutdown(std::chrono::milliseconds timeout) {
  std::lock_guard lock(mutex_);
  if (shut_down_.exchange(true) || !exporter_) return true;
  return suppress([&] { return exporter_->shutdown(timeout); });
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
