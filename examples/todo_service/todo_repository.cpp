#include "todo_repository.hpp"

#include <asyncctx/after_cancel.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/trace/current_span.hpp>

#include <exception>
#include <utility>

namespace todo {

namespace trace = asyncctx::trace;

template <class F>
auto todo_repository::traced(std::string_view operation, F&& f) {
  trace::span span = tracer_.start_span(std::string(operation) + " todos", {.kind = trace::span_kind::client});
  span.set_attribute("db.system", "sqlite");
  span.set_attribute("db.operation", std::string(operation));
  span.set_attribute("db.collection.name", "todos");
  span.set_attribute("db.namespace", store_.path());
  asyncctx::throw_if_cancelled();  // a request already cancelled starts no statement
  try {
    auto result = trace::with_span(span, [&] { return f(); });
    asyncctx::log::debug({{"db.operation", std::string(operation)}}, "sql {} done", operation);
    return result;
  } catch (const std::exception& e) {
    span.set_status(trace::status_code::error, e.what());
    throw;
  }
}

std::vector<todo_item> todo_repository::list() {
  return traced("SELECT", [&] { return store_.list(user_); });
}

std::optional<todo_item> todo_repository::find(std::int64_t id) {
  return traced("SELECT", [&] { return store_.find(user_, id); });
}

todo_item todo_repository::create(std::string_view title, bool done) {
  return traced("INSERT", [&] { return store_.create(user_, title, done); });
}

std::optional<todo_item> todo_repository::update(std::int64_t id, const todo_patch& patch) {
  return traced("UPDATE", [&] { return store_.update(user_, id, patch); });
}

bool todo_repository::remove(std::int64_t id) {
  return traced("DELETE", [&] { return store_.remove(user_, id); });
}

}  // namespace todo
