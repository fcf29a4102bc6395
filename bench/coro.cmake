# Coroutines: propagation cost per co_await of asyncctx::task (issue 3, item 6).
asyncctx_add_bench(coro_bench coro_bench.cpp)
