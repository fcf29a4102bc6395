// The whole asyncctx core: request-scoped context that follows async code.
#pragma once

#include <asyncctx/aggregate_error.hpp>
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/broken_promise.hpp>
#include <asyncctx/context_executor.hpp>
#include <asyncctx/error_handler.hpp>
#include <asyncctx/event_emitter.hpp>
#include <asyncctx/future.hpp>
#include <asyncctx/future_combinators.hpp>
#include <asyncctx/promise.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/spawn.hpp>
#include <asyncctx/sync_wait.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>
#include <asyncctx/when_all.hpp>
#include <asyncctx/when_any.hpp>
