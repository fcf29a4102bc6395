# Benchmarks of deadlines and cancellation; the binary prints its own ratios.
asyncctx_add_bench(cancellation_bench cancellation_bench.cpp)
if(TARGET asyncctx::asio)
  asyncctx_add_bench(cancellation_asio_bench cancellation_asio_bench.cpp LIBS asyncctx::asio)
endif()
