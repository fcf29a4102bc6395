# Coroutines: propagation cost per co_await of asyncctx::task, against a context-free twin.
asyncctx_add_bench(coro_bench coro_bench.cpp)
