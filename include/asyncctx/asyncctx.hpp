// The whole asyncctx core: request-scoped context that follows async code.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/async_local_storage.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/context_executor.hpp>
#include <asyncctx/misuse.hpp>
#include <asyncctx/scope.hpp>
#include <asyncctx/snapshot.hpp>
#include <asyncctx/thread.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/variable.hpp>
