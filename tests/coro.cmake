# Coroutines: asyncctx::task and its companions (issue 3).
asyncctx_add_test(task_test task_test.cpp LABELS concurrency)
asyncctx_add_test(task_alloc_test task_alloc_test.cpp)
asyncctx_add_test(sync_wait_test sync_wait_test.cpp LABELS concurrency)
asyncctx_add_test(when_all_test when_all_test.cpp LABELS concurrency)
asyncctx_add_test(when_any_test when_any_test.cpp LABELS concurrency)
asyncctx_add_test(spawn_test spawn_test.cpp LABELS concurrency)
asyncctx_add_test(schedule_on_test schedule_on_test.cpp LABELS concurrency)
asyncctx_add_test(task_stress_test task_stress_test.cpp LABELS concurrency)
