// Logs carry the trace: a field provider for asyncctx::log that writes the active span's
// trace_id (32 lowercase hex), span_id (16 lowercase hex) and trace_flags (2 hex digits, W3C),
// and nothing outside a span. Target asyncctx::trace_log (asyncctx::trace + asyncctx::log).
//
//   asyncctx::trace::add_log_trace_fields();   // once, at start-up
//   ... every log line made inside a span now has the three fields.
//
// The provider reads the context on the thread that makes the record, with no allocation.
// Thread-safety: as add_field_provider / remove_field_provider.
#pragma once

#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/trace/current_span.hpp>

#include <string_view>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

// Writes trace_id, span_id and trace_flags of the active span (nothing when there is none).
inline void log_trace_fields(log::field_writer& out) {
  const trace_ids ids = current_trace_ids();
  if (!ids.valid) return;
  const auto t = ids.trace_hex();
  const auto s = ids.span_hex();
  const auto f = ids.flags_hex();
  out.add("trace_id", std::string_view(t.data(), t.size()));
  out.add("span_id", std::string_view(s.data(), s.size()));
  out.add("trace_flags", std::string_view(f.data(), f.size()));
}

// Registers log_trace_fields as the log field provider "trace"; returns its id (for
// log::remove_field_provider).
inline log::provider_id add_log_trace_fields() { return log::add_field_provider("trace", &log_trace_fields); }

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
