# Dependency scopes (async_scope, async_var, service_registry): part of the core library,
# standard library only.
target_sources(asyncctx PRIVATE ${PROJECT_SOURCE_DIR}/src/async_scope.cpp)
