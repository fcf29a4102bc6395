// The todo service through real HTTP on 127.0.0.1: users are isolated from each other under
// concurrent load, the final state is exactly what the successful requests made, and every
// client mistake gets its 4xx with a JSON error (never a 500, never an executed title).
#include "todo_service.hpp"

#include <asyncctx/log/logger.hpp>
#include <asyncctx/log/spdlog_formatter.hpp>
#include <asyncctx/thread_pool.hpp>
#include <asyncctx/trace/log_fields.hpp>
#include <asyncctx/trace/simple_span_processor.hpp>
#include <asyncctx/trace/span_data.hpp>
#include <asyncctx/trace/tracer_provider.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <future>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "http_test_support.hpp"
#include "todo_api.hpp"
#include "todo_store.hpp"
#include <nlohmann/json.hpp>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sqlite3.h>
#include <unistd.h>

namespace {

using namespace asyncctx_test;
using json = nlohmann::json;

// The service logs through spdlog's default logger: silent, unless a test captures it.
std::shared_ptr<spdlog::logger> silent_logger() {
  return std::make_shared<spdlog::logger>("todo", std::make_shared<spdlog::sinks::null_sink_mt>());
}
const bool logs_silenced = [] {
  spdlog::set_default_logger(silent_logger());
  return true;
}();

// The service with its layers on its own io threads; spans kept in memory, log lines in a
// string (JSON).
class span_collector final : public asyncctx::trace::span_exporter {
 public:
  result export_spans(std::span<const asyncctx::trace::span_data> batch) override {
    std::lock_guard lock(mutex_);
    spans_.insert(spans_.end(), batch.begin(), batch.end());
    return result::success;
  }
  bool shutdown(std::chrono::milliseconds) override { return true; }
  std::vector<asyncctx::trace::span_data> spans() const {
    std::lock_guard lock(mutex_);
    return spans_;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<asyncctx::trace::span_data> spans_;
};

todo::service_options with_tokens(todo::service_options o) {
  o.tokens = {{"alice-token", "alice"}, {"bob-token", "bob"}};
  return o;
}

struct service {
  explicit service(todo::service_options options = {})
      : collector(std::make_shared<span_collector>()),
        svc(with_tracing(with_tokens(std::move(options)), collector)),
        server([this](http_request req) { return svc.handle(std::move(req)); }, 2, svc.server_options()) {}
  ~service() {
    server.shut_down();
    svc.db_pool().wait_idle();
  }
  static todo::service_options with_tracing(todo::service_options o, std::shared_ptr<span_collector> c) {
    if (!o.tracing) {
      o.tracing = std::make_shared<asyncctx::trace::tracer_provider>(asyncctx::trace::tracer_provider_options{
          .processors = {std::make_shared<asyncctx::trace::simple_span_processor>(std::move(c))}});
    }
    return o;
  }
  std::shared_ptr<span_collector> collector;
  todo::todo_service svc;
  running_server server;
};

std::unique_ptr<service> make_service(todo::todo_store::options store_options = {}) {
  return std::make_unique<service>(todo::service_options{.store = std::move(store_options)});
}

http_request make(http::verb method, std::string target, std::optional<std::string> token,
                  std::optional<std::string> body = std::nullopt, std::string content_type = "application/json") {
  http_request req{method, target, 11};
  req.set(http::field::host, "127.0.0.1");
  if (token) req.set(http::field::authorization, "Bearer " + *token);
  if (body) {
    req.set(http::field::content_type, content_type);
    req.body() = *body;
  }
  return req;
}

// The error code of a JSON error answer ("" when the body is not one).
std::string error_code(const http_response& res) {
  const json body = json::parse(res.body(), nullptr, false);
  if (body.is_discarded() || !body.contains("error")) return "";
  return body["error"].value("code", "");
}

TEST(TodoService, EachUserSeesAndChangesOnlyTheirOwnTodos) {
  auto svc = make_service();
  test_client alice(svc->server.endpoint());
  test_client bob(svc->server.endpoint());
  const http_response a = alice.request(make(http::verb::post, "/todos", "alice-token", R"({"title":"alice's"})"));
  ASSERT_EQ(a.result(), http::status::created);
  const std::string a_id = std::to_string(json::parse(a.body())["id"].get<std::int64_t>());
  // Bob names alice's id: not found, whatever he asks.
  EXPECT_EQ(bob.request(make(http::verb::get, "/todos/" + a_id, "bob-token")).result(), http::status::not_found);
  EXPECT_EQ(bob.request(make(http::verb::patch, "/todos/" + a_id, "bob-token", R"({"done":true})")).result(),
            http::status::not_found);
  EXPECT_EQ(bob.request(make(http::verb::delete_, "/todos/" + a_id, "bob-token")).result(), http::status::not_found);
  EXPECT_EQ(bob.request(make(http::verb::get, "/todos", "bob-token")).body(), "[]");
  // Alice's todo is untouched.
  const http_response mine = alice.request(make(http::verb::get, "/todos/" + a_id, "alice-token"));
  EXPECT_EQ(json::parse(mine.body()), json::parse(R"({"id":)" + a_id + R"(,"title":"alice's","done":false})"));
}

// Two users, 1,000 requests each over 8 connections each, all at once: creates, lists,
// reads, updates and deletes. Each connection works on the todos it created, so the state
// it expects is exact; every list holds only its user's todos; at the end each user's list
// equals the union of what their successful requests left.
TEST(TodoService, TwoUsersAThousandConcurrentRequestsEachStayIsolatedAndExact) {
  auto svc = make_service();
  constexpr int connections_per_user = 8;
  constexpr int requests_per_user = 1000;
  constexpr int requests_per_connection = requests_per_user / connections_per_user;
  struct user_state {
    std::mutex mutex;
    std::map<std::int64_t, json> expected;  // id -> todo
  };
  std::map<std::string, user_state> users;
  users["alice"];
  users["bob"];
  std::atomic<int> wrong{0};
  std::atomic<int> answered{0};
  auto check_owned = [&](const std::string& name, const json& todo) {
    if (!todo.is_object() || todo["title"].get<std::string>().rfind(name + ":", 0) != 0) ++wrong;
  };
  std::vector<std::thread> clients;
  for (const std::string name : {"alice", "bob"}) {
    for (int c = 0; c < connections_per_user; ++c) {
      clients.emplace_back([&, name, c] {
        try {
          test_client client(svc->server.endpoint());
          const std::string token = name + "-token";
          std::map<std::int64_t, json> mine;
          for (int i = 0; i < requests_per_connection; ++i) {
            http_response res;
            const int op = i % 5;
            if (op == 0 || mine.empty()) {
              const std::string title = name + ":" + std::to_string(c) + ":" + std::to_string(i);
              res = client.request(make(http::verb::post, "/todos", token, json{{"title", title}}.dump()));
              if (res.result() != http::status::created) {
                ++wrong;
                continue;
              }
              const json t = json::parse(res.body());
              check_owned(name, t);
              mine[t["id"].get<std::int64_t>()] = t;
            } else if (op == 1) {
              res = client.request(make(http::verb::get, "/todos", token));
              const json list = json::parse(res.body(), nullptr, false);
              if (res.result() != http::status::ok || !list.is_array()) ++wrong;
              for (const json& t : list) check_owned(name, t);
            } else if (op == 2) {
              const auto& [id, t] = *mine.begin();
              res = client.request(make(http::verb::get, "/todos/" + std::to_string(id), token));
              if (res.result() != http::status::ok || json::parse(res.body()) != t) ++wrong;
            } else if (op == 3) {
              auto& [id, t] = *mine.rbegin();
              res = client.request(make(http::verb::patch, "/todos/" + std::to_string(id), token, R"({"done":true})"));
              if (res.result() != http::status::ok) ++wrong;
              t["done"] = true;
              if (json::parse(res.body()) != t) ++wrong;
            } else {
              const std::int64_t id = mine.begin()->first;
              res = client.request(make(http::verb::delete_, "/todos/" + std::to_string(id), token));
              if (res.result() != http::status::no_content) ++wrong;
              mine.erase(id);
            }
            ++answered;
          }
          std::lock_guard lock(users[name].mutex);
          users[name].expected.merge(mine);
        } catch (const std::exception& e) {
          std::fprintf(stderr, "client failed: %s\n", e.what());
          ++wrong;
        }
      });
    }
  }
  for (auto& t : clients) t.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_EQ(answered.load(), 2 * requests_per_user);
  for (auto& [name, state] : users) {
    test_client client(svc->server.endpoint());
    const json list = json::parse(client.request(make(http::verb::get, "/todos", name + "-token")).body());
    json expected = json::array();
    for (const auto& [id, t] : state.expected) expected.push_back(t);  // ids ascending, as listed
    EXPECT_EQ(list, expected) << name;
  }
}

TEST(TodoService, MissingMalformedOrUnknownTokensGet401) {
  auto svc = make_service();
  test_client client(svc->server.endpoint());
  std::vector<http_request> requests;
  requests.push_back(make(http::verb::get, "/todos", std::nullopt));
  requests.push_back(make(http::verb::get, "/todos", "nobody-token"));
  requests.push_back(make(http::verb::get, "/todos", "alice token"));    // not one token68
  requests.push_back(make(http::verb::get, "/todos", "alice-token=x"));  // "=" only at the end
  http_request basic = make(http::verb::get, "/todos", std::nullopt);
  basic.set(http::field::authorization, "Basic YWxpY2U6eA==");
  requests.push_back(basic);
  http_request two = make(http::verb::get, "/todos", "alice-token");
  two.insert(http::field::authorization, "Bearer bob-token");  // ambiguous: refused
  requests.push_back(two);
  for (auto& req : requests) {
    const http_response res = client.request(req);
    EXPECT_EQ(res.result(), http::status::unauthorized) << req[http::field::authorization];
    EXPECT_EQ(res[http::field::www_authenticate], "Bearer");
    EXPECT_EQ(error_code(res), "unauthorized");
  }
  // The scheme is case-insensitive.
  http_request lower = make(http::verb::get, "/todos", std::nullopt);
  lower.set(http::field::authorization, "bearer alice-token");
  EXPECT_EQ(client.request(lower).result(), http::status::ok);
}

TEST(TodoService, ClientMistakesGetTheirOwn4xxWithAJsonError) {
  auto svc = make_service();
  test_client client(svc->server.endpoint());
  struct bad_case {
    http_request req;
    http::status status;
    std::string code;
  };
  const std::string big(20 * 1024, 'a');
  std::vector<bad_case> cases = {
      {make(http::verb::post, "/todos", "alice-token", "{not json"), http::status::bad_request, "invalid_json"},
      {make(http::verb::post, "/todos", "alice-token", R"(["title"])"), http::status::bad_request, "invalid_body"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": 1})"), http::status::bad_request, "invalid_field"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": ""})"), http::status::bad_request, "invalid_field"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": "x", "done": "yes"})"), http::status::bad_request,
       "invalid_field"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": "x", "owner": "bob"})"), http::status::bad_request,
       "unknown_field"},
      {make(http::verb::post, "/todos", "alice-token", R"({"done": true})"), http::status::bad_request,
       "missing_field"},
      {make(http::verb::post, "/todos", "alice-token", "{\"title\": \"\xff\xfe\"}"), http::status::bad_request,
       "invalid_json"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": ")" + std::string(1001, 'x') + "\"}"),
       http::status::bad_request, "invalid_field"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": ")" + big + "\"}"), http::status::payload_too_large,
       "body_too_large"},
      {make(http::verb::post, "/todos", "alice-token", R"({"title": "x"})", "text/plain"),
       http::status::unsupported_media_type, "unsupported_media_type"},
      {make(http::verb::patch, "/todos/1", "alice-token", "{}"), http::status::bad_request, "missing_field"},
      {make(http::verb::get, "/todos/999", "alice-token"), http::status::not_found, "not_found"},
      {make(http::verb::get, "/todos/abc", "alice-token"), http::status::not_found, "not_found"},
      {make(http::verb::get, "/todos/-1", "alice-token"), http::status::not_found, "not_found"},
      {make(http::verb::get, "/todos/99999999999999999999", "alice-token"), http::status::not_found, "not_found"},
      {make(http::verb::get, "/elsewhere", "alice-token"), http::status::not_found, "not_found"},
      {make(http::verb::put, "/todos", "alice-token"), http::status::method_not_allowed, "method_not_allowed"},
      {make(http::verb::post, "/todos/1", "alice-token", "{}"), http::status::method_not_allowed, "method_not_allowed"},
  };
  for (auto& c : cases) {
    const http_response res = client.request(c.req);
    EXPECT_EQ(res.result(), c.status) << c.req.target() << " " << c.req.body().substr(0, 60);
    EXPECT_EQ(error_code(res), c.code) << c.req.target() << " " << c.req.body().substr(0, 60);
    EXPECT_EQ(res[http::field::content_type], "application/json");
  }
  EXPECT_EQ(client.request(make(http::verb::put, "/todos", "alice-token"))[http::field::allow], "GET, POST");
  // Nothing of the above was stored.
  EXPECT_EQ(client.request(make(http::verb::get, "/todos", "alice-token")).body(), "[]");
}

TEST(TodoService, SqlInjectionTitlesAreStoredVerbatimAndNeverExecuted) {
  auto svc = make_service();
  test_client client(svc->server.endpoint());
  const std::vector<std::string> titles = {
      "x'); DROP TABLE todos; --",
      "' OR '1'='1",
      "bob' --",
      "\"; DELETE FROM todos WHERE user = 'bob'; --",
      "Robert'); UPDATE todos SET user='alice'; --",
      "1; ATTACH DATABASE '/tmp/evil.db' AS evil; --",
      "%' OR user LIKE '%",
  };
  ASSERT_EQ(client.request(make(http::verb::post, "/todos", "bob-token", R"({"title":"bob's own"})")).result(),
            http::status::created);
  for (const auto& t : titles) {
    const http_response res =
        client.request(make(http::verb::post, "/todos", "alice-token", json{{"title", t}}.dump()));
    ASSERT_EQ(res.result(), http::status::created) << t;
    EXPECT_EQ(json::parse(res.body())["title"], t);
  }
  const json list = json::parse(client.request(make(http::verb::get, "/todos", "alice-token")).body());
  ASSERT_EQ(list.size(), titles.size());
  for (std::size_t i = 0; i < titles.size(); ++i) EXPECT_EQ(list[i]["title"], titles[i]);
  const json bobs = json::parse(client.request(make(http::verb::get, "/todos", "bob-token")).body());
  ASSERT_EQ(bobs.size(), 1u);
  EXPECT_EQ(bobs[0]["title"], "bob's own");
  EXPECT_FALSE(std::filesystem::exists("/tmp/evil.db"));
}

// Todos are written to the body directly, not through nlohmann::ordered_json: the bytes must
// be what ordered_json's dump gives (and what the Node twin's JSON.stringify gives), for
// every ASCII character, escapes included, and for UTF-8 titles.
TEST(TodoService, TodosAreWrittenByteForByteAsOrderedJsonWritesThem) {
  using ordered = nlohmann::ordered_json;
  auto svc = make_service();
  test_client client(svc->server.endpoint());
  std::vector<std::string> titles;
  std::string every_ascii;
  for (int c = 1; c < 128; ++c) every_ascii += static_cast<char>(c);
  titles.push_back(every_ascii);
  titles.push_back("quote \" backslash \\ slash / tab \t newline \n");
  titles.push_back("caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x93\x9d and \\ \"");
  titles.push_back("x");
  ordered expected = ordered::array();
  for (std::size_t i = 0; i < titles.size(); ++i) {
    const bool done = i % 2 == 1;
    const http_response res = client.request(
        make(http::verb::post, "/todos", "alice-token", ordered{{"title", titles[i]}, {"done", done}}.dump()));
    ASSERT_EQ(res.result(), http::status::created) << i;
    const ordered one{{"id", ordered::parse(res.body())["id"]}, {"title", titles[i]}, {"done", done}};
    EXPECT_EQ(res.body(), one.dump()) << i;
    expected.push_back(one);
    const http_response got =
        client.request(make(http::verb::get, "/todos/" + std::to_string(one["id"].get<std::int64_t>()), "alice-token"));
    EXPECT_EQ(got.body(), one.dump()) << i;
  }
  EXPECT_EQ(client.request(make(http::verb::get, "/todos", "alice-token")).body(), expected.dump());
  EXPECT_EQ(client.request(make(http::verb::get, "/todos", "bob-token")).body(), "[]");
}

// A file database locked by another process's exclusive transaction: the write waits its
// bounded budget, then gets 503 with Retry-After; nothing is half-written, and once the lock
// goes the same write succeeds.
TEST(TodoService, ABusyDatabaseGets503ThenTheRetrySucceedsAndNothingIsLost) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("todo_busy_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  {
    auto svc = make_service({.path = path, .connections = 2, .busy_budget = std::chrono::milliseconds(100)});
    test_client client(svc->server.endpoint());
    ASSERT_EQ(client.request(make(http::verb::post, "/todos", "alice-token", R"({"title":"first"})")).result(),
              http::status::created);
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    const http_response busy = client.request(make(http::verb::post, "/todos", "alice-token", R"({"title":"second"})"));
    EXPECT_EQ(busy.result(), http::status::service_unavailable);
    EXPECT_EQ(busy[http::field::retry_after], "1");
    EXPECT_EQ(error_code(busy), "database_busy");
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    ASSERT_EQ(client.request(make(http::verb::post, "/todos", "alice-token", R"({"title":"second"})")).result(),
              http::status::created);
    const json list = json::parse(client.request(make(http::verb::get, "/todos", "alice-token")).body());
    ASSERT_EQ(list.size(), 2u);
    EXPECT_EQ(list[0]["title"], "first");
    EXPECT_EQ(list[1]["title"], "second");
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

// More pool threads than connections would only queue on the connections (a futex sleep and
// wake-up per hand-over): by default the pool has one thread per connection.
TEST(TodoService, TheDatabasePoolHasOneThreadPerConnectionByDefault) {
  EXPECT_EQ(todo::todo_service(todo::service_options{}).db_pool().size(), 1u) << ":memory: is one connection";
  EXPECT_EQ(todo::todo_service(todo::service_options{.store = {.path = "/tmp/todo_pool_test.db", .connections = 3}})
                .db_pool()
                .size(),
            3u);
  EXPECT_EQ(todo::todo_service(todo::service_options{.db_threads = 2}).db_pool().size(), 2u) << "unless asked";
  std::filesystem::remove("/tmp/todo_pool_test.db");
}

TEST(TodoService, TheDatabasePoolIsLeftCleanAfterRequests) {
  // The store is called on a pool thread in the request's scope; afterwards the pool thread
  // is back in its own (empty) context: no user, no scope.
  auto svc = make_service();
  test_client client(svc->server.endpoint());
  ASSERT_EQ(client.request(make(http::verb::post, "/todos", "bob-token", R"({"title":"t"})")).result(),
            http::status::created);
  std::promise<std::string> seen;
  svc->svc.db_pool().post([&] { seen.set_value(todo::todo_api::current_user() ? "leaked" : "none"); });
  EXPECT_EQ(seen.get_future().get(), "none");
}

// Logs to a string, JSON lines with the trace fields, for one test.
class captured_log {
 public:
  captured_log() : provider_(asyncctx::trace::add_log_trace_fields()) {
    auto logger = std::make_shared<spdlog::logger>("todo", std::make_shared<spdlog::sinks::ostream_sink_mt>(out_));
    asyncctx::log::configure(*logger, asyncctx::log::line_format::json);
    logger->set_level(spdlog::level::trace);
    spdlog::set_default_logger(logger);
  }
  ~captured_log() {
    spdlog::set_default_logger(silent_logger());
    asyncctx::log::remove_field_provider(provider_);
  }
  std::vector<json> lines() {
    spdlog::default_logger()->flush();
    std::vector<json> out;
    std::istringstream in(out_.str());
    for (std::string line; std::getline(in, line);) out.push_back(json::parse(line));
    return out;
  }

 private:
  std::ostringstream out_;
  asyncctx::log::provider_id provider_;
};

// Two users at once: every log line of an authenticated request names that request's user,
// carries its request_id and the ids of a span of that request's trace; every span of a
// request shares one trace id, under the request's SERVER span, with an auth span and a span
// per SQL statement.
TEST(TodoService, EveryLogLineNamesItsUserAndEverySpanOfARequestSharesItsTrace) {
  captured_log log;
  auto svc = make_service();
  std::mutex mutex;
  std::map<std::string, std::string> user_of_request;  // X-Request-ID -> user
  std::vector<std::thread> clients;
  for (const std::string name : {"alice", "bob"}) {
    clients.emplace_back([&, name] {
      test_client client(svc->server.endpoint());
      for (int i = 0; i < 20; ++i) {
        const http_response res =
            i % 2 == 0 ? client.request(make(http::verb::post, "/todos", name + "-token", json{{"title", name}}.dump()))
                       : client.request(make(http::verb::get, "/todos", name + "-token"));
        std::lock_guard lock(mutex);
        user_of_request[std::string(res["X-Request-ID"])] = name;
      }
    });
  }
  for (auto& t : clients) t.join();
  svc->server.shut_down();
  svc->svc.db_pool().wait_idle();

  const std::vector<json> lines = log.lines();
  ASSERT_GE(lines.size(), 80u);  // at least the request and answer lines of 40 requests
  std::map<std::string, std::string> trace_of_request;
  for (const json& line : lines) {
    ASSERT_TRUE(line.contains("request_id")) << line.dump();
    const std::string id = line["request_id"];
    ASSERT_TRUE(user_of_request.count(id)) << line.dump();
    EXPECT_EQ(line.value("user", ""), user_of_request[id]) << line.dump();
    ASSERT_TRUE(line.contains("trace_id") && line.contains("span_id")) << line.dump();
    auto [it, fresh] = trace_of_request.emplace(id, line["trace_id"]);
    EXPECT_EQ(it->second, line["trace_id"]) << "one trace per request: " << line.dump();
  }
  EXPECT_EQ(trace_of_request.size(), user_of_request.size());

  // The spans: per trace, one SERVER root, an auth span and SQL spans under it.
  std::map<std::string, std::vector<asyncctx::trace::span_data>> by_trace;
  for (auto& s : svc->collector->spans()) by_trace[s.trace.to_hex()].push_back(s);
  EXPECT_EQ(by_trace.size(), user_of_request.size());
  for (auto& [trace_id, spans] : by_trace) {
    int servers = 0, auths = 0, sql = 0;
    asyncctx::trace::span_id server_id;
    for (auto& s : spans) {
      if (s.kind == asyncctx::trace::span_kind::server) {
        ++servers;
        server_id = s.span;
      }
    }
    for (auto& s : spans) {
      if (s.name == "auth") {
        ++auths;
        EXPECT_EQ(s.parent, server_id);
      }
      bool db = false;
      for (auto& a : s.attributes) db = db || (a.key == "db.system" && std::get<std::string>(a.value) == "sqlite");
      if (db) {
        ++sql;
        EXPECT_EQ(s.parent, server_id);
        EXPECT_EQ(s.kind, asyncctx::trace::span_kind::client);
      }
    }
    EXPECT_EQ(servers, 1) << trace_id;
    EXPECT_EQ(auths, 1) << trace_id;
    EXPECT_EQ(sql, 1) << trace_id;
  }
  // Every trace id seen in the logs is one of the exported traces.
  for (auto& [id, trace_id] : trace_of_request) EXPECT_TRUE(by_trace.count(trace_id)) << id;
}

// A client that hangs up while its write waits on a locked database stops the query: the
// request's cancellation (client gone) interrupts the statement at once instead of letting it
// wait out its 10 s busy budget, and the write is never made.
TEST(TodoService, AClientThatHangsUpStopsItsQuery) {
  const std::string path =
      (std::filesystem::temp_directory_path() / ("todo_hangup_" + std::to_string(::getpid()) + ".db")).string();
  std::filesystem::remove(path);
  {
    captured_log log;
    auto svc = make_service({.path = path, .connections = 2, .busy_budget = std::chrono::seconds(10)});
    {
      // The store (a singleton, made on first use) opens its connections before the lock.
      test_client client(svc->server.endpoint());
      ASSERT_EQ(client.request(make(http::verb::get, "/todos", "alice-token")).result(), http::status::ok);
    }
    sqlite3* other = nullptr;
    ASSERT_EQ(sqlite3_open(path.c_str(), &other), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(other, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
    std::chrono::steady_clock::time_point gone;
    {
      boost::asio::io_context ioc;
      tcp::socket socket(ioc);
      socket.connect(svc->server.endpoint());
      http_request req = make(http::verb::post, "/todos", "alice-token", R"({"title":"never"})");
      req.prepare_payload();
      http::write(socket, req);
      std::this_thread::sleep_for(std::chrono::milliseconds(500));  // the insert waits on the lock
      gone = std::chrono::steady_clock::now();
      socket.close();
    }
    svc->svc.db_pool().wait_idle();
    const auto stopped_after = std::chrono::steady_clock::now() - gone;
    EXPECT_LT(stopped_after, std::chrono::seconds(2)) << "the query waited out its busy budget";
    ASSERT_EQ(sqlite3_exec(other, "COMMIT", nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(other);
    test_client client(svc->server.endpoint());
    const json list = json::parse(client.request(make(http::verb::get, "/todos", "alice-token")).body());
    EXPECT_TRUE(list.empty()) << list.dump();
    svc->server.shut_down();
    bool interrupted = false;
    for (const json& line : log.lines()) {
      if (line.value("msg", "") == "query interrupted: the request was cancelled") interrupted = true;
    }
    EXPECT_TRUE(interrupted) << "no line says the query was interrupted";
  }
  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
}

}  // namespace
