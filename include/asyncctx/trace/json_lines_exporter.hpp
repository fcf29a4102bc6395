// asyncctx::trace::json_lines_exporter: writes each span as one line of JSON to a stream or a
// file: the embedded default exporter, which needs no back end.
//
// Line format (every field always present; ids lowercase hex; times in Unix nanoseconds):
//   {"trace_id":"…","span_id":"…","parent_span_id":"…"|"","trace_state":"…","flags":1,
//    "name":"…","kind":"internal|server|client|producer|consumer","start_unix_nano":…,
//    "end_unix_nano":…,"attributes":{…},"events":[{"name","time_unix_nano","attributes"}],
//    "links":[{"trace_id","span_id","trace_state","flags","attributes"}],
//    "status":{"code":"unset|ok|error","message":"…"},"dropped_attributes":0,
//    "dropped_events":0,"dropped_links":0,"resource":{…},"scope":{"name","version"}}
// Strings are escaped so that no value can break a line or forge a field (control characters
// as \u00XX, invalid UTF-8 as U+FFFD); non-finite doubles are written as null.
// Thread-safety: export_spans, force_flush and shutdown may be called from any thread; the
// writes of one call are one block of lines.
#pragma once

#include <asyncctx/trace/span_data.hpp>

#include <fstream>
#include <iosfwd>
#include <mutex>
#include <string>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

class json_lines_exporter final : public span_exporter {
 public:
  // Writes to `out`, which must outlive the exporter.
  explicit json_lines_exporter(std::ostream& out);
  // Appends to the file at `path`; throws std::runtime_error when it cannot be opened.
  explicit json_lines_exporter(const std::string& path);

  result export_spans(std::span<const span_data> batch) override;
  bool force_flush(std::chrono::milliseconds timeout) override;
  bool shutdown(std::chrono::milliseconds timeout) override;

  // One span as one line of JSON (without the newline).
  static std::string to_json(const span_data& span);

 private:
  std::mutex mutex_;
  std::ofstream file_;
  std::ostream* out_;
  bool shut_down_ = false;
};

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
