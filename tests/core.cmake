# Tests of the core target asyncctx::asyncctx. One binary per header; `concurrency` marks the
# binaries that use threads (they also run under ThreadSanitizer).
asyncctx_add_test(frame_test detail/frame_test.cpp)
asyncctx_add_test(variable_test variable_test.cpp)
asyncctx_add_test(snapshot_test snapshot_test.cpp)
asyncctx_add_test(scope_test scope_test.cpp LABELS concurrency)
asyncctx_add_test(async_local_storage_test async_local_storage_test.cpp LABELS concurrency)
asyncctx_add_test(async_hooks_test async_hooks_test.cpp LABELS concurrency)
asyncctx_add_test(async_resource_test async_resource_test.cpp)
asyncctx_add_test(thread_test thread_test.cpp LABELS concurrency)
asyncctx_add_test(thread_pool_test thread_pool_test.cpp LABELS concurrency)
asyncctx_add_test(context_executor_test context_executor_test.cpp LABELS concurrency)
asyncctx_add_test(concurrency_stress_test concurrency_stress_test.cpp LABELS concurrency)
asyncctx_add_test(thread_state_test detail/thread_state_test.cpp LABELS concurrency)
