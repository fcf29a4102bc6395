# asyncctx::trace_log — the log field provider that puts the active span's ids on every log
# line (include/asyncctx/trace/log_fields.hpp). Header-only; built when asyncctx::log is.
if(TARGET asyncctx::log)
  add_library(asyncctx_trace_log INTERFACE)
  add_library(asyncctx::trace_log ALIAS asyncctx_trace_log)
  target_link_libraries(asyncctx_trace_log INTERFACE asyncctx::trace asyncctx::log)
  set_target_properties(asyncctx_trace_log PROPERTIES EXPORT_NAME trace_log)
  list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_trace_log)
endif()
