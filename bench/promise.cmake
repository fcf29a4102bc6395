# Benchmarks of promise<T> / future<T> and event_emitter (issue 3, item 6).
asyncctx_add_bench(promise_bench promise_bench.cpp)
