// libctx_b.so: reads a variable it does not own, runs tasks, makes async resources.
// Built with hidden visibility: only what is marked CTX_B_API is exported.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <string>

#define CTX_B_API __attribute__((visibility("default")))

// v.value_or(-1), through b's instantiation of variable<int>.
CTX_B_API int b_read(asyncctx::variable<int>& v);

// A coroutine of b returning v.value_or(-1) (b's instantiation).
CTX_B_API asyncctx::task<int> b_read_task(asyncctx::variable<int>& v);

// Runs t to completion with b's sync_wait on a new std::thread (no context of its own).
CTX_B_API int b_sync_wait_on_new_thread(asyncctx::task<int> t);

// Makes and destroys an async_resource of type "CTX_B_RESOURCE"; returns its id.
CTX_B_API asyncctx::async_id b_make_resource();

// The id of asyncctx::asio::current_request() as b sees it, or "(none)".
CTX_B_API std::string b_current_request_id();
