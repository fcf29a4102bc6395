#include "ctx_b.hpp"

#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/async_resource.hpp>
#include <asyncctx/sync_wait.hpp>

#include <string>
#include <thread>
#include <utility>

int b_read(asyncctx::variable<int>& v) { return v.value_or(-1); }

asyncctx::task<int> b_read_task(asyncctx::variable<int>& v) { co_return v.value_or(-1); }

int b_sync_wait_on_new_thread(asyncctx::task<int> t) {
  int result = 0;
  std::thread([&] { result = asyncctx::sync_wait(std::move(t)); }).join();
  return result;
}

asyncctx::async_id b_make_resource() {
  const asyncctx::async_resource resource("CTX_B_RESOURCE");
  return resource.async_id();
}

std::string b_current_request_id() {
  const asyncctx::asio::request_context* rc = asyncctx::asio::current_request();
  return rc != nullptr ? rc->id : "(none)";
}
