# Benchmarks of the core; bench/core_ratios.py checks the ratios the core must stay within.
asyncctx_add_bench(core_bench core_bench.cpp)
