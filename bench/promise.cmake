# Benchmarks of promise<T> / future<T> (a `then` hop, flat in the variable count) and event_emitter.
asyncctx_add_bench(promise_bench promise_bench.cpp)
