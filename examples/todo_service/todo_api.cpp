#include "todo_api.hpp"

#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/cancellation.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/logger.hpp>
#include <asyncctx/schedule_on.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/trace/current_span.hpp>

#include <algorithm>
#include <charconv>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include <nlohmann/json.hpp>

namespace todo {

namespace http = boost::beast::http;
// Keys keep their order: a todo reads {"id", "title", "done"}.
using json = nlohmann::ordered_json;

namespace {

const asyncctx::async_var<user> user_var("todo.user");

std::string dump(const json& j) { return j.dump(-1, ' ', false, json::error_handler_t::replace); }

http_response json_response(unsigned version, http::status status, std::string body) {
  http_response res{status, version};
  res.set(http::field::content_type, "application/json");
  res.body() = std::move(body);
  return res;
}

http_response json_response(unsigned version, http::status status, const json& body) {
  return json_response(version, status, dump(body));
}

// Todos are written straight to the body, byte for byte what nlohmann's dump gives (the
// tests compare the two): building a json value per todo and dumping it cost a tenth of a
// GET /todos's CPU, in allocations mostly. A title with a byte >= 0x80 (UTF-8, or invalid
// bytes from a database written by another program) goes through nlohmann, which repairs
// invalid UTF-8 as the service always has.
void append_json_title(std::string& out, const std::string& title) {
  if (std::any_of(title.begin(), title.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) {
    out += dump(json(title));
    return;
  }
  out += '"';
  for (const char c : title) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          constexpr char hex[] = "0123456789abcdef";
          out += "\\u00";
          out += hex[(c >> 4) & 0xf];
          out += hex[c & 0xf];
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

void append_todo(std::string& out, const todo_item& t) {
  char id[24];
  const auto end = std::to_chars(id, id + sizeof id, t.id).ptr;
  out += "{\"id\":";
  out.append(id, end);
  out += ",\"title\":";
  append_json_title(out, t.title);
  out += t.done ? ",\"done\":true}" : ",\"done\":false}";
}

std::string todo_json(const todo_item& t) {
  std::string out;
  out.reserve(t.title.size() + 48);
  append_todo(out, t);
  return out;
}

std::string todos_json(const std::vector<todo_item>& todos) {
  std::size_t size = 2;
  for (const todo_item& t : todos) size += t.title.size() + 48;
  std::string out;
  out.reserve(size);
  out += '[';
  for (std::size_t i = 0; i < todos.size(); ++i) {
    if (i != 0) out += ',';
    append_todo(out, todos[i]);
  }
  out += ']';
  return out;
}

// /todos -> collection; /todos/<id> -> item; anything else -> not ours.
struct route {
  enum kind { none, collection, item } what = none;
  std::int64_t id = 0;
};

// The store's part of a request, on a database thread, in the request's scope (defined below).
http_response answer(unsigned v, const route& r, http::verb method, const std::optional<todo_patch>& patch);

route parse_route(std::string_view target) {
  const std::size_t query = target.find('?');
  if (query != std::string_view::npos) target = target.substr(0, query);
  constexpr std::string_view base = "/todos";
  if (target == base || target == "/todos/") return {route::collection};
  if (target.substr(0, base.size() + 1) != "/todos/") return {};
  const std::string_view digits = target.substr(base.size() + 1);
  // Strict: 1-18 decimal digits, nothing else (no sign, no spaces, no overflow).
  if (digits.empty() || digits.size() > 18) return {};
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), id);
  if (ec != std::errc{} || end != digits.data() + digits.size() || id <= 0) return {};
  return {route::item, id};
}

bool is_json_content_type(std::string_view type) {
  const std::size_t semi = type.find(';');
  std::string_view media = type.substr(0, semi);
  while (!media.empty() && media.back() == ' ') media.remove_suffix(1);
  if (media.size() != 16) return false;
  for (std::size_t i = 0; i < media.size(); ++i) {
    char c = media[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != "application/json"[i]) return false;
  }
  return true;
}

// A parsed POST/PATCH body, or the error answer to give.
using body_or_error = std::variant<todo_patch, http_response>;

body_or_error parse_body(const http_request& req, const api_options& options, bool creating) {
  const unsigned v = req.version();
  if (req.body().size() > options.max_body) {
    return json_error(v, http::status::payload_too_large, "body_too_large",
                      "the body is larger than " + std::to_string(options.max_body) + " bytes");
  }
  if (!is_json_content_type(req[http::field::content_type])) {
    return json_error(v, http::status::unsupported_media_type, "unsupported_media_type",
                      "the body must be application/json");
  }
  // No exceptions: a parse failure is a discarded value. nlohmann rejects invalid UTF-8.
  const json body = json::parse(req.body(), nullptr, false);
  if (body.is_discarded())
    return json_error(v, http::status::bad_request, "invalid_json", "the body is not valid JSON");
  if (!body.is_object())
    return json_error(v, http::status::bad_request, "invalid_body", "the body must be a JSON object");
  todo_patch patch;
  for (const auto& [key, value] : body.items()) {
    if (key == "title") {
      if (!value.is_string())
        return json_error(v, http::status::bad_request, "invalid_field", "title must be a string");
      std::string title = value.get<std::string>();
      if (title.empty() || title.size() > options.max_title) {
        return json_error(v, http::status::bad_request, "invalid_field",
                          "title must be 1 to " + std::to_string(options.max_title) + " bytes");
      }
      patch.title = std::move(title);
    } else if (key == "done") {
      if (!value.is_boolean())
        return json_error(v, http::status::bad_request, "invalid_field", "done must be a boolean");
      patch.done = value.get<bool>();
    } else {
      return json_error(v, http::status::bad_request, "unknown_field", "unknown field: " + dump(json(key)));
    }
  }
  if (creating && !patch.title) return json_error(v, http::status::bad_request, "missing_field", "title is required");
  if (!creating && !patch.title && !patch.done) {
    return json_error(v, http::status::bad_request, "missing_field", "nothing to change: give title or done");
  }
  return patch;
}

http_response method_not_allowed(unsigned version, std::string_view allow) {
  http_response res =
      json_error(version, http::status::method_not_allowed, "method_not_allowed", "allowed: " + std::string(allow));
  res.set(http::field::allow, allow);
  return res;
}

}  // namespace

http_response json_error(unsigned version, http::status status, std::string_view code, std::string_view message) {
  return json_response(version, status, json{{"error", {{"code", code}, {"message", message}}}});
}

todo_api::todo_api(const auth_client& auth, asyncctx::thread_pool& db_pool, asyncctx::trace::tracer tracer,
                   api_options options)
    : auth_(auth), db_pool_(db_pool), tracer_(std::move(tracer)), options_(options) {}

std::optional<user> todo_api::current_user() {
  if (!asyncctx::async_scope::active() || !user_var.exists()) return std::nullopt;
  return user_var.get();
}

asyncctx::task<http_response> todo_api::handle(http_request req) {
  const unsigned v = req.version();
  const route r = parse_route(req.target());
  if (r.what == route::none) co_return json_error(v, http::status::not_found, "not_found", "no such resource");

  // Exactly one Authorization header, carrying a known bearer token.
  std::optional<user> who;
  {
    asyncctx::trace::span auth_span = tracer_.start_span("auth");
    const auto [first, last] = req.equal_range(http::field::authorization);
    if (first != last && std::next(first) == last) who = auth_.authenticate(first->value());
    auth_span.set_attribute("enduser.authenticated", who.has_value());
  }
  if (!who) {
    asyncctx::log::warn("{} {}: no valid bearer token", std::string(req.method_string()), std::string(req.target()));
    http_response res = json_error(v, http::status::unauthorized, "unauthorized", "a valid bearer token is required");
    res.set(http::field::www_authenticate, "Bearer");
    co_return res;
  }
  // The user, for everything this request does: its scope (resolve, current_user) and its
  // log fields, on every thread, across every await.
  const std::string name = who->name;
  user_var.set(std::move(*who));
  [[maybe_unused]] const asyncctx::scope log_user = asyncctx::log::with_scope({{"user", name}});
  asyncctx::log::info("{} {}", std::string(req.method_string()), std::string(req.target()));

  const http::verb method = req.method();
  std::optional<todo_patch> patch;
  if ((r.what == route::collection && method == http::verb::post) ||
      (r.what == route::item && method == http::verb::patch)) {
    body_or_error parsed = parse_body(req, options_, r.what == route::collection);
    if (auto* error = std::get_if<http_response>(&parsed)) co_return std::move(*error);
    patch = std::move(std::get<todo_patch>(parsed));
  } else if (r.what == route::collection && method != http::verb::get) {
    co_return method_not_allowed(v, "GET, POST");
  } else if (r.what == route::item && method != http::verb::get && method != http::verb::delete_) {
    co_return method_not_allowed(v, "GET, PATCH, DELETE");
  }

  // Blocking SQLite calls run on the database pool: the request's context (its scope, user,
  // log fields, span and cancellation) goes with it.
  co_await asyncctx::schedule_on(db_pool_.get_executor());
  http_response res = answer(v, r, method, patch);
  asyncctx::log::info({{"status", static_cast<std::int64_t>(res.result_int())}}, "answered {}", res.result_int());
  co_return res;
}

namespace {

http_response answer(unsigned v, const route& r, http::verb method, const std::optional<todo_patch>& patch) {
  try {
    todo_repository& todos = asyncctx::resolve<todo_repository>();  // this request's, bound to its user
    if (r.what == route::collection) {
      if (method == http::verb::get) return json_response(v, http::status::ok, todos_json(todos.list()));
      const todo_item created = todos.create(*patch->title, patch->done.value_or(false));
      http_response res = json_response(v, http::status::created, todo_json(created));
      res.set(http::field::location, "/todos/" + std::to_string(created.id));
      return res;
    }
    if (method == http::verb::get) {
      if (auto t = todos.find(r.id)) return json_response(v, http::status::ok, todo_json(*t));
    } else if (method == http::verb::patch) {
      if (auto t = todos.update(r.id, *patch)) return json_response(v, http::status::ok, todo_json(*t));
    } else if (todos.remove(r.id)) {
      return http_response{http::status::no_content, v};
    }
    return json_error(v, http::status::not_found, "not_found", "no todo " + std::to_string(r.id));
  } catch (const store_busy& e) {
    asyncctx::log::warn("database busy: {}", e.what());
    http_response res =
        json_error(v, http::status::service_unavailable, "database_busy", "the database is busy; try again");
    res.set(http::field::retry_after, "1");
    return res;
  } catch (const store_interrupted&) {
    asyncctx::log::warn("query interrupted: the request was cancelled");
    return json_error(v, http::status::service_unavailable, "cancelled", "the request was cancelled");
  } catch (const asyncctx::cancelled_error&) {
    asyncctx::log::warn("request cancelled before its query");
    return json_error(v, http::status::service_unavailable, "cancelled", "the request was cancelled");
  }
}

}  // namespace

}  // namespace todo
