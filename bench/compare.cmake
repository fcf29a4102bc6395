# compare_bench: our half of the side-by-side comparison with Node.js and Python, driven by
# bench/compare/run (see docs/benchmarks.md). The task and Asio shapes are compiled only when
# their headers exist (__has_include in the source), and Asio only with asyncctx::asio, whose
# handler tracking hook is what carries the context across post() and timers.
asyncctx_add_bench(compare_bench compare/compare_bench.cpp)
if(TARGET asyncctx::asio)
  target_link_libraries(compare_bench PRIVATE asyncctx::asio)
  target_compile_definitions(compare_bench PRIVATE ASYNCCTX_COMPARE_ASIO=1)
endif()
