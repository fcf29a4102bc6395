// todo_repository: the todo store seen by one request — a scoped service (one per request
// scope, asyncctx::service_registry) bound to the request's authenticated user, that traces
// every SQL statement as a CLIENT span (db.system "sqlite", db.operation, db.collection.name)
// and lets the request's cancellation interrupt it.
//
// Cancellation: while a statement runs, an after_cancel registered in the request's context
// calls sqlite3_interrupt on its connection, so a client that hangs up (or a deadline that
// passes) stops the query; the call then throws store_interrupted. A statement is not started
// at all in a context already cancelled.
// Thread-safety: like todo_store; one repository may be used from the request's threads.
#pragma once

#include <asyncctx/trace/tracer_provider.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "todo_store.hpp"

namespace todo {

class todo_repository {
 public:
  todo_repository(todo_store& store, std::string user, asyncctx::trace::tracer tracer)
      : store_(store), user_(std::move(user)), tracer_(std::move(tracer)) {}

  const std::string& user() const noexcept { return user_; }

  std::vector<todo_item> list();
  std::optional<todo_item> find(std::int64_t id);
  todo_item create(std::string_view title, bool done);
  std::optional<todo_item> update(std::int64_t id, const todo_patch& patch);
  bool remove(std::int64_t id);

 private:
  template <class F>
  auto traced(std::string_view operation, F&& f);

  todo_store& store_;
  std::string user_;
  asyncctx::trace::tracer tracer_;
};

}  // namespace todo
