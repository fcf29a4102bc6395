# Dependency scopes: resolution of existing services, a request scope's open + close.
asyncctx_add_bench(scopes_bench scopes_bench.cpp)
# A request scope against a minimal http_server request's CPU time, in one run.
if(TARGET asyncctx::asio)
  asyncctx_add_bench(http_scope_bench http_scope_bench.cpp LIBS asyncctx::asio)
endif()
