# asyncctx::trace_http — the parts of tracing that speak HTTP, on Boost.Beast: the OTLP/HTTP
# exporter (with its protobuf and JSON encoders), the OTEL_* environment configuration, the
# HTTP server layer that starts SERVER spans and the HTTP client that starts CLIENT spans.
# A compiled library of its own, so that asyncctx::trace stays standard-library only and a
# program that traces without exporting over HTTP pulls in no Beast; it links asyncctx::asio,
# whose handler-tracking definition every translation unit of the program must share.
# nlohmann-json (Debian's nlohmann-json3-dev) reads JSON answers and bodies, privately.
find_package(nlohmann_json 3.10 QUIET)
if(NOT nlohmann_json_FOUND)
  asyncctx_feature_missing(ASYNCCTX_WITH_ASIO "nlohmann-json not found" "asyncctx::trace_http is"
    "install nlohmann-json3-dev")
  return()
endif()
add_library(asyncctx_trace_http
  src/trace_http/otlp_payload.cpp
  src/trace_http/otlp_retry.cpp
  src/trace_http/otlp_http_exporter.cpp
  src/trace_http/http_server_layer.cpp
  src/trace_http/http_client.cpp
  src/trace_http/otel_environment.cpp)
add_library(asyncctx::trace_http ALIAS asyncctx_trace_http)
# Header-only and used in the sources only: not a dependency of the installed package.
target_link_libraries(asyncctx_trace_http PUBLIC asyncctx::trace asyncctx::asio PRIVATE $<BUILD_INTERFACE:nlohmann_json::nlohmann_json>)
# Default visibility, unlike the core and log: this library's code is mostly Boost's headers
# instantiated here, and their function-local statics must be the program's. Beast's and Asio's
# error categories are such statics, compared by address: hidden, libasyncctx_trace_http.so
# would have categories of its own, and a user's `ec == boost::beast::error::timeout` on an
# error it returns would be false (tests/trace_http/http_client_test.cpp, shared build).
set_target_properties(asyncctx_trace_http PROPERTIES
  EXPORT_NAME trace_http
  POSITION_INDEPENDENT_CODE ON
  VERSION ${PROJECT_VERSION}
  SOVERSION ${ASYNCCTX_ABI_VERSION})
list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_trace_http)
