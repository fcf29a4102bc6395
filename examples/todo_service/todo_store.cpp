#include "todo_store.hpp"

#include <asyncctx/after_cancel.hpp>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>

#include <sqlite3.h>

namespace todo {

namespace {

// `cancelled`: the caller's context was cancelled during the call, so a statement that gave up
// waiting for a busy database (the busy handler stops at once then) was interrupted, not busy.
[[noreturn]] void fail(sqlite3* db, int rc, std::string_view what, bool cancelled = false) {
  std::string message = std::string(what) + ": " + (db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  const int primary = rc & 0xff;
  if (cancelled && (primary == SQLITE_BUSY || primary == SQLITE_LOCKED)) {
    throw store_interrupted(message + " (cancelled while waiting for the database)");
  }
  if (primary == SQLITE_BUSY || primary == SQLITE_LOCKED) throw store_busy(message);
  if (primary == SQLITE_INTERRUPT) throw store_interrupted(message);
  throw store_error(message);
}

}  // namespace

// One SQLite connection with its prepared statements. Used by one thread at a time (a lease).
class todo_store::connection {
 public:
  connection(const std::string& path, std::chrono::milliseconds busy_budget) : busy_budget_(busy_budget) {
    const int rc =
        sqlite3_open_v2(path.c_str(), &db_, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    if (rc != SQLITE_OK) {
      std::string message = std::string("cannot open ") + path + ": " + sqlite3_errstr(rc);
      sqlite3_close(db_);
      throw store_error(message);
    }
    // A busy database is retried up to the budget, then the statement fails with SQLITE_BUSY
    // (store_busy). Our own handler rather than sqlite3_busy_timeout: SQLite's sleeps are
    // deaf to sqlite3_interrupt, and a cancelled caller must stop waiting at once.
    sqlite3_busy_handler(db_, &connection::on_busy, this);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec(
        "CREATE TABLE IF NOT EXISTS todos ("
        " id INTEGER PRIMARY KEY AUTOINCREMENT,"
        " user TEXT NOT NULL,"
        " title TEXT NOT NULL,"
        " done INTEGER NOT NULL DEFAULT 0)");
    exec("CREATE INDEX IF NOT EXISTS todos_by_user ON todos(user, id)");
  }
  ~connection() {
    for (sqlite3_stmt* s : statements_) sqlite3_finalize(s);
    sqlite3_close(db_);
  }
  connection(const connection&) = delete;
  connection& operator=(const connection&) = delete;

  sqlite3* handle() const noexcept { return db_; }

  // Set (from any thread) when the context of the lease's caller is cancelled, together with
  // sqlite3_interrupt: stops a wait for a busy database at its next check (within busy_poll).
  // Cleared when a new lease starts.
  std::atomic<bool>& cancelled_flag() noexcept { return cancelled_; }
  bool cancelled() const noexcept { return cancelled_.load(std::memory_order_acquire); }

  void exec(const char* sql) {
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &error);
    if (rc != SQLITE_OK) {
      std::string message = error != nullptr ? error : sqlite3_errstr(rc);
      sqlite3_free(error);
      if ((rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED) throw store_busy(message);
      throw store_error(std::string(sql) + ": " + message);
    }
  }

  // A prepared statement, reset and with its bindings cleared; `index` names the statement
  // in this connection's cache.
  sqlite3_stmt* statement(std::size_t index, const char* sql) {
    if (statements_.size() <= index) statements_.resize(index + 1, nullptr);
    sqlite3_stmt*& s = statements_[index];
    if (s == nullptr) {
      const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, nullptr);
      if (rc != SQLITE_OK) fail(db_, rc, "prepare");
    }
    return s;
  }

 private:
  static constexpr std::chrono::milliseconds busy_poll{5};

  // SQLite's busy handler: 1 to retry the lock, 0 to give up (count: the retries so far for
  // this lock). Retries every busy_poll until the budget is spent, giving up at once when the
  // caller is cancelled.
  static int on_busy(void* self, int count) noexcept {
    auto* c = static_cast<connection*>(self);
    const auto now = std::chrono::steady_clock::now();
    if (count == 0) c->busy_since_ = now;
    if (c->cancelled()) return 0;
    const auto left = c->busy_budget_ - (now - c->busy_since_);
    if (left <= std::chrono::steady_clock::duration::zero()) return 0;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(busy_poll, left));
    return c->cancelled() ? 0 : 1;
  }

  sqlite3* db_ = nullptr;
  std::vector<sqlite3_stmt*> statements_;
  std::chrono::milliseconds busy_budget_;
  std::chrono::steady_clock::time_point busy_since_;  // the lease's thread only
  std::atomic<bool> cancelled_{false};
};

// What a cancellation interrupts: the leased connection, until the lease ends. The mutex
// makes the end of the lease wait for an interrupt in progress, so that an interrupt can
// never reach the connection's next user.
struct interrupt_target {
  std::mutex mutex;
  sqlite3* db = nullptr;
  std::atomic<bool>* cancelled = nullptr;  // the connection's flag
};

// A connection borrowed from the store for one call; goes back when destroyed. While it is
// held, the cancellation of the caller's context interrupts its statements.
class todo_store::lease {
 public:
  lease(todo_store& store, std::unique_ptr<connection> c)
      : store_(store), c_(std::move(c)), target_(std::make_shared<interrupt_target>()) {
    c_->cancelled_flag().store(false, std::memory_order_release);
    target_->db = c_->handle();
    target_->cancelled = &c_->cancelled_flag();
    interrupt_ = asyncctx::after_cancel([t = target_] {
      std::lock_guard lock(t->mutex);
      if (t->db == nullptr) return;
      t->cancelled->store(true, std::memory_order_release);
      sqlite3_interrupt(t->db);
    });
  }
  lease(const lease&) = delete;
  lease& operator=(const lease&) = delete;
  ~lease() {
    interrupt_.unregister();
    {
      std::lock_guard lock(target_->mutex);
      target_->db = nullptr;
      target_->cancelled = nullptr;
    }
    store_.give_back(std::move(c_));
  }
  connection* operator->() const noexcept { return c_.get(); }

 private:
  todo_store& store_;
  std::unique_ptr<connection> c_;
  std::shared_ptr<interrupt_target> target_;
  asyncctx::after_cancel_handle interrupt_;
};

namespace {

// Binds and steps one statement; resets it (and clears its bindings) whatever happens.
class statement_run {
 public:
  statement_run(sqlite3* db, const std::atomic<bool>& cancelled, sqlite3_stmt* s)
      : db_(db), s_(s), cancelled_(cancelled) {}
  ~statement_run() {
    sqlite3_reset(s_);
    sqlite3_clear_bindings(s_);
  }
  statement_run(const statement_run&) = delete;
  statement_run& operator=(const statement_run&) = delete;

  void bind(int i, std::string_view text) {
    check(sqlite3_bind_text(s_, i, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT), "bind");
  }
  void bind(int i, std::int64_t v) { check(sqlite3_bind_int64(s_, i, v), "bind"); }
  void bind_bool(int i, bool v) { check(sqlite3_bind_int(s_, i, v ? 1 : 0), "bind"); }

  // True while a row is available.
  bool step() {
    const int rc = sqlite3_step(s_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    fail(db_, rc, "step", cancelled_.load(std::memory_order_acquire));
  }

  todo_item row() const {
    todo_item t;
    t.id = sqlite3_column_int64(s_, 0);
    const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(s_, 1));
    t.title.assign(text != nullptr ? text : "", static_cast<std::size_t>(sqlite3_column_bytes(s_, 1)));
    t.done = sqlite3_column_int(s_, 2) != 0;
    return t;
  }

 private:
  void check(int rc, const char* what) {
    if (rc != SQLITE_OK) fail(db_, rc, what);
  }
  sqlite3* db_;
  sqlite3_stmt* s_;
  const std::atomic<bool>& cancelled_;
};

enum statement_index : std::size_t { list_sql, find_sql, create_sql, update_sql, remove_sql };

}  // namespace

unsigned todo_store::connection_count(const options& opts) noexcept {
  const bool in_memory = opts.path == ":memory:" || opts.path.empty();
  return in_memory ? 1 : std::max(1u, opts.connections);
}

todo_store::todo_store(options opts) : options_(std::move(opts)) {
  const unsigned n = connection_count(options_);
  if (options_.path.empty()) options_.path = ":memory:";
  for (unsigned i = 0; i < n; ++i) idle_.push_back(std::make_unique<connection>(options_.path, options_.busy_budget));
}

todo_store::~todo_store() = default;

todo_store::lease todo_store::acquire() {
  std::unique_lock lock(mutex_);
  available_.wait(lock, [&] { return !idle_.empty(); });
  std::unique_ptr<connection> c = std::move(idle_.back());
  idle_.pop_back();
  lock.unlock();
  return lease(*this, std::move(c));  // guaranteed elision: a lease never moves
}

void todo_store::give_back(std::unique_ptr<connection> c) noexcept {
  {
    std::lock_guard lock(mutex_);
    idle_.push_back(std::move(c));
  }
  available_.notify_one();
}

std::vector<todo_item> todo_store::list(std::string_view user) {
  lease c = acquire();
  statement_run run(c->handle(), c->cancelled_flag(),
                    c->statement(list_sql, "SELECT id, title, done FROM todos WHERE user = ?1 ORDER BY id"));
  run.bind(1, user);
  std::vector<todo_item> out;
  while (run.step()) out.push_back(run.row());
  return out;
}

std::optional<todo_item> todo_store::find(std::string_view user, std::int64_t id) {
  lease c = acquire();
  statement_run run(c->handle(), c->cancelled_flag(),
                    c->statement(find_sql, "SELECT id, title, done FROM todos WHERE user = ?1 AND id = ?2"));
  run.bind(1, user);
  run.bind(2, id);
  if (!run.step()) return std::nullopt;
  return run.row();
}

todo_item todo_store::create(std::string_view user, std::string_view title, bool done) {
  lease c = acquire();
  statement_run run(c->handle(), c->cancelled_flag(),
                    c->statement(create_sql,
                                 "INSERT INTO todos (user, title, done) VALUES (?1, ?2, ?3)"
                                 " RETURNING id, title, done"));
  run.bind(1, user);
  run.bind(2, title);
  run.bind_bool(3, done);
  if (!run.step()) throw store_error("insert returned no row");
  todo_item t = run.row();
  while (run.step()) {
  }
  return t;
}

std::optional<todo_item> todo_store::update(std::string_view user, std::int64_t id, const todo_patch& patch) {
  lease c = acquire();
  // NULL parameters keep the column: one statement for every combination of fields.
  statement_run run(c->handle(), c->cancelled_flag(),
                    c->statement(update_sql,
                                 "UPDATE todos SET title = coalesce(?3, title), done = coalesce(?4, done)"
                                 " WHERE user = ?1 AND id = ?2 RETURNING id, title, done"));
  run.bind(1, user);
  run.bind(2, id);
  if (patch.title) run.bind(3, *patch.title);
  if (patch.done) run.bind_bool(4, *patch.done);
  if (!run.step()) return std::nullopt;
  todo_item t = run.row();
  while (run.step()) {
  }
  return t;
}

bool todo_store::remove(std::string_view user, std::int64_t id) {
  lease c = acquire();
  statement_run run(c->handle(), c->cancelled_flag(),
                    c->statement(remove_sql, "DELETE FROM todos WHERE user = ?1 AND id = ?2 RETURNING id"));
  run.bind(1, user);
  run.bind(2, id);
  const bool found = run.step();
  while (found && run.step()) {
  }
  return found;
}

}  // namespace todo
