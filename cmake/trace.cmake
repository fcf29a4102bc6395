# asyncctx::trace — spans, W3C Trace Context and Baggage, processors, the JSON-lines exporter.
# Standard library only, so it is built wherever the core is (also in the core-only and fuzz
# builds). A compiled library: the context variables it owns (active span, baggage,
# suppression) must exist once per process.
add_library(asyncctx_trace
  src/trace/baggage.cpp
  src/trace/batch_span_processor.cpp
  src/trace/id_generator.cpp
  src/trace/json_lines_exporter.cpp
  src/trace/propagation.cpp
  src/trace/sampler.cpp
  src/trace/simple_span_processor.cpp
  src/trace/trace_context.cpp
  src/trace/tracer.cpp)
add_library(asyncctx::trace ALIAS asyncctx_trace)
target_link_libraries(asyncctx_trace PUBLIC asyncctx::asyncctx)
set_target_properties(asyncctx_trace PROPERTIES
  EXPORT_NAME trace
  OUTPUT_NAME asyncctx_trace
  POSITION_INDEPENDENT_CODE ON
  VERSION ${PROJECT_VERSION}
  SOVERSION ${ASYNCCTX_ABI_VERSION})
list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_trace)
