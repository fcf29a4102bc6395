#include "ctx_a.hpp"

#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/async_hooks.hpp>
#include <asyncctx/task.hpp>
#include <asyncctx/variable.hpp>

#include <mutex>
#include <optional>

namespace {

asyncctx::task<int> call_in_task(int (*read)(asyncctx::variable<int>&)) { co_return read(a_variable()); }

std::mutex g_inits_mutex;
std::vector<std::pair<asyncctx::async_id, std::string>> g_inits;
std::optional<asyncctx::async_hook> g_hook;

}  // namespace

asyncctx::variable<int>& a_variable() {
  static asyncctx::variable<int> v({.name = "ctx_a"});
  return v;
}

void a_run(int v, const std::function<void()>& fn) { a_variable().run(v, fn); }

asyncctx::task<int> a_task_in_run(int v, const std::function<asyncctx::task<int>()>& make) {
  return a_variable().run(v, make);
}

asyncctx::task<int> a_task_calling(int v, int (*read)(asyncctx::variable<int>&)) {
  return a_variable().run(v, [read] { return call_in_task(read); });
}

void a_start_recording_inits() {
  {
    const std::lock_guard lock(g_inits_mutex);
    g_inits.clear();
  }
  g_hook =
      asyncctx::create_hook({.init = [](asyncctx::async_id id, std::string_view type, asyncctx::async_id, const void*) {
        const std::lock_guard lock(g_inits_mutex);
        g_inits.emplace_back(id, std::string(type));
      }});
  g_hook->enable();
}

void a_stop_recording_inits() { g_hook.reset(); }

std::vector<std::pair<asyncctx::async_id, std::string>> a_recorded_inits() {
  const std::lock_guard lock(g_inits_mutex);
  return g_inits;
}

void a_run_in_request(const std::string& id, const std::function<void()>& fn) {
  asyncctx::asio::request_variable().run(asyncctx::asio::make_request_context(id, "GET", "/"), fn);
}
