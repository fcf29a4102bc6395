# Dependency scopes in Asio handlers and the HTTP server's per-request scope.
asyncctx_add_test(request_scope_test request_scope_test.cpp LABELS concurrency LIBS asyncctx::asio)
