// libctx_a.so: owns a variable, binds it, creates tasks in its run, and keeps an async hook.
// Built with hidden visibility: only what is marked CTX_A_API is exported.
#pragma once

#include <asyncctx/async_hooks.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

#define CTX_A_API __attribute__((visibility("default")))

// The variable, defined in a.
CTX_A_API asyncctx::variable<int>& a_variable();

// Calls fn() with a_variable() bound to v (a's instantiation of variable<int>::run).
CTX_A_API void a_run(int v, const std::function<void()>& fn);

// Calls make() with a_variable() bound to v: the task make() returns is created, and so
// captures its context, inside a's run.
CTX_A_API asyncctx::task<int> a_task_in_run(int v, const std::function<asyncctx::task<int>()>& make);

// A coroutine of a, created with a_variable() bound to v, whose body returns
// read(a_variable()) (read: a function of another shared object).
CTX_A_API asyncctx::task<int> a_task_calling(int v, int (*read)(asyncctx::variable<int>&));

// An async hook created and enabled by a, recording every init event (id and type).
CTX_A_API void a_start_recording_inits();
CTX_A_API void a_stop_recording_inits();
CTX_A_API std::vector<std::pair<asyncctx::async_id, std::string>> a_recorded_inits();

// Calls fn() in a request with the given id, bound by a through the library's request
// variable (asyncctx::asio::request_variable(), as http_server binds it).
CTX_A_API void a_run_in_request(const std::string& id, const std::function<void()>& fn);
