# Benchmarks of the core; bench/core_ratios.py checks the target ratios of issue 2 item 7.
asyncctx_add_bench(core_bench core_bench.cpp)
