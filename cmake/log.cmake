# asyncctx::log — log fields carried in context, spdlog formatters and calls (needs spdlog and
# fmt); asyncctx::log_boost — the Boost.Log attribute (needs Boost.Log). Included by the
# top-level CMakeLists.txt when ASYNCCTX_WITH_LOG is not OFF.
find_package(spdlog QUIET)
find_package(fmt QUIET)
if(NOT TARGET spdlog::spdlog OR NOT TARGET fmt::fmt)
  asyncctx_feature_missing(ASYNCCTX_WITH_LOG "spdlog or fmt not found" "asyncctx::log, its tests and benchmarks are"
    "install libspdlog-dev and libfmt-dev")
  return()
endif()

add_library(asyncctx_log
  src/log/fields.cpp
  src/log/field_provider.cpp
  src/log/line_format.cpp
  src/log/spdlog_formatter.cpp)
add_library(asyncctx::log ALIAS asyncctx_log)
# spdlog as Debian builds it: compiled, on the system {fmt} (SPDLOG_FMT_EXTERNAL).
target_link_libraries(asyncctx_log PUBLIC asyncctx::asyncctx spdlog::spdlog fmt::fmt)
set_target_properties(asyncctx_log PROPERTIES
  EXPORT_NAME log
  OUTPUT_NAME asyncctx_log
  POSITION_INDEPENDENT_CODE ON
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON
  VERSION ${PROJECT_VERSION}
  SOVERSION ${ASYNCCTX_ABI_VERSION})
list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_log)
set(ASYNCCTX_HAVE_LOG TRUE)

# asyncctx::log_boost: header-only on top of asyncctx::log and Boost.Log.
asyncctx_feature_mode(ASYNCCTX_WITH_LOG_BOOST asyncctx_log_boost_mode)
if(NOT asyncctx_log_boost_mode STREQUAL "OFF")
  find_package(Boost 1.81 QUIET CONFIG COMPONENTS log log_setup)
  if(TARGET Boost::log)
    add_library(asyncctx_log_boost INTERFACE)
    add_library(asyncctx::log_boost ALIAS asyncctx_log_boost)
    target_link_libraries(asyncctx_log_boost INTERFACE asyncctx::log Boost::log)
    set_target_properties(asyncctx_log_boost PROPERTIES EXPORT_NAME log_boost)
    list(APPEND ASYNCCTX_INSTALL_TARGETS asyncctx_log_boost)
    set(ASYNCCTX_HAVE_LOG_BOOST TRUE)
  else()
    asyncctx_feature_missing(ASYNCCTX_WITH_LOG_BOOST "Boost.Log not found" "asyncctx::log_boost and its tests are"
      "install libboost-log1.81-dev")
  endif()
endif()
