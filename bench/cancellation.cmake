# Benchmarks of deadlines and cancellation; the binary prints its own ratios.
asyncctx_add_bench(cancellation_bench cancellation_bench.cpp)
