# Tests of promise<T> / future<T>, the future combinators and event_emitter. All use threads,
# so all also run under ThreadSanitizer.
asyncctx_add_test(promise_test promise_test.cpp LABELS concurrency coro)
asyncctx_add_test(future_test future_test.cpp LABELS concurrency coro)
asyncctx_add_test(event_emitter_test event_emitter_test.cpp LABELS concurrency coro)
