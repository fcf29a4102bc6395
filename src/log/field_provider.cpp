// The registry of field providers and the mixin, and the capture of a record's fields.
//
// The registry is published as an immutable snapshot behind one atomic pointer: a record
// reads it with one acquire load and no lock. A change (rare: at start-up, in tests) builds a
// new snapshot under a mutex and publishes it; old snapshots are kept until the process ends,
// so a record that loaded one may go on using it without any reference counting.
#include <asyncctx/asio/request_context.hpp>
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/log/context_fields.hpp>
#include <asyncctx/log/field_provider.hpp>

#include <atomic>
#include <cstring>
#include <exception>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {
namespace {

struct provider_entry {
  provider_id id;
  std::string name;
  field_provider fn;
};

struct registry_snapshot {
  std::vector<std::shared_ptr<const provider_entry>> providers;
  std::shared_ptr<const mixin_function> mixin;
};

class registry {
 public:
  registry() {
    auto first = std::make_unique<registry_snapshot>();
    first->providers.push_back(std::make_shared<const provider_entry>(
        provider_entry{request_provider_id, "request", [](field_writer& out) { request_fields(out); }}));
    publish(std::move(first));
  }

  const registry_snapshot& current() const noexcept { return *current_.load(std::memory_order_acquire); }

  provider_id add(std::string name, field_provider fn) {
    std::lock_guard lock(mutex_);
    auto next = std::make_unique<registry_snapshot>(*current_.load(std::memory_order_relaxed));
    const provider_id id = next_id_++;
    next->providers.push_back(
        std::make_shared<const provider_entry>(provider_entry{id, std::move(name), std::move(fn)}));
    publish(std::move(next));
    return id;
  }

  bool remove(provider_id id) {
    std::lock_guard lock(mutex_);
    const registry_snapshot& now = *current_.load(std::memory_order_relaxed);
    auto next = std::make_unique<registry_snapshot>();
    next->mixin = now.mixin;
    bool found = false;
    for (const auto& p : now.providers) {
      if (p->id == id) {
        found = true;
      } else {
        next->providers.push_back(p);
      }
    }
    if (found) publish(std::move(next));
    return found;
  }

  mixin_function set_mixin(mixin_function fn) {
    std::lock_guard lock(mutex_);
    auto next = std::make_unique<registry_snapshot>(*current_.load(std::memory_order_relaxed));
    std::shared_ptr<const mixin_function> previous = std::move(next->mixin);
    if (fn) next->mixin = std::make_shared<const mixin_function>(std::move(fn));
    publish(std::move(next));
    return previous ? *previous : mixin_function{};
  }

 private:
  // Called with mutex_ held (or from the constructor).
  void publish(std::unique_ptr<registry_snapshot> next) {
    current_.store(next.get(), std::memory_order_release);
    all_.push_back(std::move(next));
  }

  std::mutex mutex_;
  std::vector<std::unique_ptr<registry_snapshot>> all_;  // every snapshot ever published
  std::atomic<const registry_snapshot*> current_{nullptr};
  provider_id next_id_ = request_provider_id + 1;
};

// Never destroyed: records may be made from other static destructors.
registry& the_registry() {
  static registry* r = new registry;  // NOLINT: process-wide, intentionally immortal
  return *r;
}

void report_hook_failure(std::string_view what, std::string_view name) noexcept {
  try {
    std::string message = std::string(what);
    message += " '";
    message += name;
    message += "' threw; the record is written without what it added";
    asyncctx::detail::report_error(error_kind::log_field_provider, message, std::current_exception());
  } catch (...) {
    asyncctx::detail::report_error(error_kind::log_field_provider, "a field provider threw", std::current_exception());
  }
}

void append_fields(record_buffer& buf, level lvl, const field* extra, std::size_t extra_count) {
  const registry_snapshot& reg = the_registry().current();
  field_writer out(buf);
  for (const auto& p : reg.providers) {
    const std::size_t mark = buf.size();
    try {
      p->fn(out);
    } catch (...) {
      buf.resize(mark);
      report_hook_failure("field provider", p->name);
    }
  }
  if (const fields* in_context = current_fields()) out.add(*in_context);
  if (reg.mixin) {
    const std::size_t mark = buf.size();
    try {
      (*reg.mixin)(lvl, out);
    } catch (...) {
      buf.resize(mark);
      report_hook_failure("mixin", "mixin");
    }
  }
  for (std::size_t i = 0; i < extra_count; ++i) out.add(extra[i]);
}

}  // namespace

provider_id add_field_provider(std::string name, field_provider provider) {
  if (!provider) throw std::invalid_argument("asyncctx::log::add_field_provider: empty provider");
  return the_registry().add(std::move(name), std::move(provider));
}

bool remove_field_provider(provider_id id) { return the_registry().remove(id); }

mixin_function set_mixin(mixin_function mixin) { return the_registry().set_mixin(std::move(mixin)); }

void request_fields(field_writer& out) {
  const asio::request_context* rc = asio::current_request();
  if (rc == nullptr) return;
  out.add("request_id", std::string_view(rc->id));
  if (!rc->method.empty()) out.add("method", std::string_view(rc->method));
  if (!rc->target.empty()) {
    const std::string_view target = rc->target;
    out.add("path", target.substr(0, target.find('?')));
  }
}

namespace detail {

void capture_fields(record_buffer& buf, std::size_t message_length, level lvl, const field* extra,
                    std::size_t extra_count) {
  if (message_length > UINT32_MAX) return;  // no room in the footer: written as a plain message
  append_fields(buf, lvl, extra, extra_count);
  const std::size_t fields_length = buf.size() - message_length;
  if (fields_length > UINT32_MAX) {
    buf.resize(message_length);
    return;
  }
  const auto ml = static_cast<std::uint32_t>(message_length);
  const auto fl = static_cast<std::uint32_t>(fields_length);
  const std::uint64_t key = record_key();
  char footer[footer_size];
  std::memcpy(footer, &ml, 4);
  std::memcpy(footer + 4, &fl, 4);
  std::memcpy(footer + 8, &key, 8);
  append_raw(buf, footer, footer_size);
}

void capture_bare_fields(record_buffer& buf, level lvl) { append_fields(buf, lvl, nullptr, 0); }

}  // namespace detail
}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
