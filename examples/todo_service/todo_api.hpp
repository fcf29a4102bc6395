// todo_api: the todo service's HTTP API, a coroutine handler for asyncctx::asio::http_server.
//
//   GET    /todos          the caller's todos, oldest first          200 [todo, ...]
//   POST   /todos          {"title": string, "done"?: bool}           201 todo
//   GET    /todos/{id}     one of the caller's todos                  200 todo | 404
//   PATCH  /todos/{id}     {"title"?: string, "done"?: bool}, >= 1     200 todo | 404
//   DELETE /todos/{id}                                                204 | 404
// where todo = {"id": int, "title": string, "done": bool}.
//
// Every request needs "Authorization: Bearer <token>" (401 otherwise). The authenticated
// user is set in the request's scope (an async_var, current_user()) and in its log fields
// (`user`), for everything the request does on every thread; the request's todo_repository (a
// scoped service) is bound to it, so another user's id is simply not found. The handler runs
// inside a request scope (asio::request_scope_layer with the service's registry: see
// todo_service.hpp); authentication is traced as an "auth" span.
// A client's mistake always gets a 4xx with a JSON body {"error": {"code", "message"}}:
// 400 invalid JSON / fields, 401, 404, 405 (with Allow), 413 body too large, 415 not JSON;
// a database that stays busy gets 503 with Retry-After. Titles are stored verbatim (every
// statement is parameterised).
// Thread-safety: handle() may run for many requests at once, on any threads.
#pragma once

#include <asyncctx/asio/http_server.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <cstddef>
#include <optional>
#include <string_view>

#include "auth_client.hpp"
#include "todo_repository.hpp"
#include "todo_store.hpp"

namespace todo {

using asyncctx::asio::http_request;
using asyncctx::asio::http_response;

struct api_options {
  std::size_t max_body = 16 * 1024;  // bytes of a POST/PATCH body
  std::size_t max_title = 1000;      // bytes of a title (UTF-8)
};

class todo_api {
 public:
  todo_api(const auth_client& auth, asyncctx::thread_pool& db_pool, asyncctx::trace::tracer tracer,
           api_options options = {});

  // The http_server handler: runs in the request's context and scope, on any thread.
  asyncctx::task<http_response> handle(http_request req);

  // The user of the request being handled (nullopt outside a request scope, or before the
  // request was authenticated).
  static std::optional<user> current_user();

 private:
  const auth_client& auth_;
  asyncctx::thread_pool& db_pool_;
  asyncctx::trace::tracer tracer_;
  api_options options_;
};

// A JSON error answer: {"error": {"code": code, "message": message}}.
http_response json_error(unsigned version, boost::beast::http::status status, std::string_view code,
                         std::string_view message);

}  // namespace todo
