# asyncctx::log against spdlog (bench/log_ratios.py) and the lines/s compared with pino
# (bench/compare/log_pino).
asyncctx_add_bench(log_bench log_bench.cpp LIBS asyncctx::log)
