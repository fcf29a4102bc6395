// todo_store: the todo service's database — SQLite, one table, every statement parameterised.
//
// Each call is blocking and meant to run on a thread pool (the service hops there for every
// query, so the request's context crosses threads each time). Connections: a file database
// gets one connection per concurrent caller (WAL mode, readers never wait for the writer);
// ":memory:" gets one shared connection, since each in-memory connection is its own database.
//
// Cancellation: a call made in a cancellable context (asyncctx/cancellation.hpp) is
// interrupted (sqlite3_interrupt) when that context is cancelled while the call holds its
// connection, and throws store_interrupted; the connection goes back clean. A call waiting
// for a busy database stops waiting too (within 5 ms): SQLite's own busy timeout cannot be
// interrupted, so the store has its own busy handler.
// Errors: a database that stays busy or locked past a bounded retry throws store_busy (the
// service answers 503: the write was not made, nothing is lost silently); any other SQLite
// failure throws store_error. A todo always belongs to one user: every query filters on it,
// so one user can neither see nor change another's todos whatever id they name.
// Thread-safety: every member may be called from any number of threads at once.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

struct sqlite3;

namespace todo {

struct todo_item {
  std::int64_t id = 0;
  std::string title;
  bool done = false;
  friend bool operator==(const todo_item&, const todo_item&) = default;
};

// What a PATCH changes: each field when present.
struct todo_patch {
  std::optional<std::string> title;
  std::optional<bool> done;
};

class store_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The database stayed busy (locked by another connection or process) past the retry budget.
class store_busy : public store_error {
 public:
  using store_error::store_error;
};

// A statement was interrupted: the request's context was cancelled while it ran (the client
// hung up, or the deadline passed). Nothing was changed.
class store_interrupted : public store_error {
 public:
  using store_error::store_error;
};

class todo_store {
 public:
  struct options {
    std::string path = ":memory:";  // a file, or ":memory:"
    unsigned connections = 4;       // for a file database; ":memory:" always uses one
    // How long a statement keeps retrying while the database is busy, before store_busy.
    std::chrono::milliseconds busy_budget{2000};
  };

  // Opens (creating the file and table when missing). Throws store_error.
  explicit todo_store(options opts);
  // How many connections a store with these options opens (1 for ":memory:").
  static unsigned connection_count(const options& opts) noexcept;
  ~todo_store();
  todo_store(const todo_store&) = delete;
  todo_store& operator=(const todo_store&) = delete;

  std::vector<todo_item> list(std::string_view user);
  std::optional<todo_item> find(std::string_view user, std::int64_t id);
  todo_item create(std::string_view user, std::string_view title, bool done);
  // nullopt: no todo `id` of this user.
  std::optional<todo_item> update(std::string_view user, std::int64_t id, const todo_patch& patch);
  // false: no todo `id` of this user.
  bool remove(std::string_view user, std::int64_t id);

  const std::string& path() const noexcept { return options_.path; }

 private:
  class connection;
  class lease;
  lease acquire();
  void give_back(std::unique_ptr<connection> c) noexcept;

  options options_;
  std::mutex mutex_;
  std::condition_variable available_;
  std::vector<std::unique_ptr<connection>> idle_;
};

}  // namespace todo
