# asyncctx::trace: span cost into a batch processor (and with tracing off), W3C extract+inject.
# bench/compare/trace_compare runs it beside OpenTelemetry JS.
asyncctx_add_bench(trace_bench trace_bench.cpp LIBS asyncctx::trace)
