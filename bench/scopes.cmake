# Dependency scopes: resolution of existing services, a request scope's open + close.
asyncctx_add_bench(scopes_bench scopes_bench.cpp)
