# Coroutines: asyncctx::task and its companions (sync_wait, when_all, when_any, spawn, schedule_on).
# task_test also states which completion protocol it runs with (tests/protocol).
asyncctx_add_test(task_test task_test.cpp protocol/protocol_check.cpp LABELS concurrency coro)
asyncctx_protocol_expectation(task_test)
asyncctx_add_test(task_alloc_test task_alloc_test.cpp LABELS coro)
asyncctx_add_test(sync_wait_test sync_wait_test.cpp LABELS concurrency coro)
asyncctx_add_test(when_all_test when_all_test.cpp LABELS concurrency coro)
asyncctx_add_test(when_any_test when_any_test.cpp LABELS concurrency coro)
asyncctx_add_test(spawn_test spawn_test.cpp LABELS concurrency coro)
asyncctx_add_test(schedule_on_test schedule_on_test.cpp LABELS concurrency coro)
asyncctx_add_test(task_stress_test task_stress_test.cpp LABELS concurrency coro)
asyncctx_add_test(task_spare_test task_spare_test.cpp LABELS concurrency coro)
