# The handler-tracking hook vs plain Boost.Asio on a `post` hop, in one process: the hops are
# built into three modules (hooked, plain, and plain again as an A/A control) from one source,
# and asio_bench loads them (the tracking definition must be consistent within what a program
# links, so the variants cannot be one program's code). Compared by asio_ratio.sh. A zero-length
# `steady_timer` hop is measured the same way, from two more modules (hooked and plain).
function(asyncctx_asio_bench_module name source)
  add_library(${name} MODULE ${source})
  target_link_libraries(${name} PRIVATE ${ARGN} Threads::Threads)
  set_target_properties(${name} PROPERTIES CXX_VISIBILITY_PRESET hidden VISIBILITY_INLINES_HIDDEN ON)
  # Thread-locals as an executable reaches them (Asio and asyncctx read theirs on every
  # operation): the default model of a shared object would call __tls_get_addr.
  target_compile_options(${name} PRIVATE -ftls-model=initial-exec)
endfunction()
asyncctx_asio_bench_module(asio_bench_hooked asio_bench_module.cpp asyncctx::asio)
asyncctx_asio_bench_module(asio_bench_plain asio_bench_module.cpp Boost::headers)
asyncctx_asio_bench_module(asio_bench_control asio_bench_module.cpp Boost::headers)
# The timer hop, in modules of its own (see asio_bench_timer_module.cpp), hooked and plain.
asyncctx_asio_bench_module(asio_bench_timer_hooked asio_bench_timer_module.cpp asyncctx::asio)
asyncctx_asio_bench_module(asio_bench_timer_plain asio_bench_timer_module.cpp Boost::headers)

add_executable(asio_bench asio_bench.cpp)
target_link_libraries(asio_bench PRIVATE benchmark::benchmark ${CMAKE_DL_LIBS})
target_compile_definitions(asio_bench PRIVATE ASIO_BENCH_HOOKED_MODULE="$<TARGET_FILE:asio_bench_hooked>"
                                              ASIO_BENCH_PLAIN_MODULE="$<TARGET_FILE:asio_bench_plain>"
                                              ASIO_BENCH_CONTROL_MODULE="$<TARGET_FILE:asio_bench_control>"
                                              ASIO_BENCH_TIMER_HOOKED_MODULE="$<TARGET_FILE:asio_bench_timer_hooked>"
                                              ASIO_BENCH_TIMER_PLAIN_MODULE="$<TARGET_FILE:asio_bench_timer_plain>")
add_dependencies(asio_bench asio_bench_hooked asio_bench_plain asio_bench_control asio_bench_timer_hooked
                 asio_bench_timer_plain)
