# Dependency scopes: async_scope, async_var<T>, service_registry (core, standard library only).
asyncctx_add_test(async_scope_test async_scope_test.cpp LABELS concurrency coro)
asyncctx_add_test(async_var_test async_var_test.cpp LABELS concurrency coro)
asyncctx_add_test(service_registry_test service_registry_test.cpp LABELS concurrency coro)
