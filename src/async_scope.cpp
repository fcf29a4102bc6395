// async_scope, async_var and the service registry: scope nodes, their disposal, the slow path
// of resolve(), and the registry's validation (see include/asyncctx/detail/scope_node.hpp).
#include <asyncctx/async_scope.hpp>
#include <asyncctx/async_var.hpp>
#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/detail/scope_node.hpp>
#include <asyncctx/detail/thread_state.hpp>
#include <asyncctx/service_registry.hpp>
#include <asyncctx/variable.hpp>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <stdexcept>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <cxxabi.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

std::string demangled_name_of(std::type_index type);

namespace {

// The services being built on this call path, outermost first: a factory runs with itself
// appended, so a resolution inside it can see a cycle (the same service again) or a captive
// (a scoped service below a singleton) and name the whole chain.
struct chain_link {
  const service_table* table;
  std::uint32_t index;
};
using resolution_chain = std::vector<chain_link>;

const variable<resolution_chain>& chain_variable() noexcept {
  static const variable<resolution_chain> v({.name = "asyncctx.service_resolution"});
  return v;
}

std::atomic<std::uint32_t> g_next_service_type_id{0};

const char* lifetime_name(service_lifetime l) noexcept {
  switch (l) {
    case service_lifetime::singleton:
      return "singleton";
    case service_lifetime::scoped:
      return "scoped";
    case service_lifetime::transient:
      return "transient";
  }
  return "?";
}

std::string describe(const service_descriptor& d) { return std::string(lifetime_name(d.lifetime)) + " " + d.name; }

// "singleton A -> transient B -> scoped C" for the services of `path`.
std::string chain_text(const service_table& table, const std::vector<std::uint32_t>& path) {
  std::string text;
  for (const std::uint32_t i : path) {
    if (!text.empty()) text += " -> ";
    text += describe(table.services[i]);
  }
  return text;
}

[[noreturn]] void throw_captive(const std::string& chain) {
  throw captive_dependency("asyncctx::service_registry: captive dependency: " + chain +
                           " (a singleton outlives every scope, so it must not hold a scoped service)");
}

[[noreturn]] void throw_cycle(const std::string& chain) {
  throw dependency_cycle("asyncctx::service_registry: dependency cycle: " + chain);
}

void report_disposal_error(const service_descriptor& d, const char* what) noexcept {
  try {
    report_error(error_kind::scope_disposal, "the " + std::string(what) + " of " + describe(d) + " threw",
                 std::current_exception());
  } catch (...) {
    report_error(error_kind::scope_disposal, "a service's disposer or destructor threw", std::current_exception());
  }
}

// Destroys the node's instances, newest first. New instances cannot appear meanwhile: the
// node is disposing, and resolution refuses to build in it.
void dispose_instances(scope_node* n) noexcept {
  for (;;) {
    instance_record* r;
    {
      std::lock_guard lock(n->instances_mutex);
      r = n->newest;
      if (r == nullptr) return;
      n->newest = r->older;
    }
    const service_descriptor& d = *r->descriptor;
    if (d.lifetime != service_lifetime::transient) {
      n->slots[r->index].store(slot_disposed, std::memory_order_release);
      n->slots[r->index].notify_all();
    }
    if (d.disposer) {
      try {
        d.disposer(r->instance.object);
      } catch (...) {
        report_disposal_error(d, "disposer");
      }
    }
    try {
      r->instance.destroy(r->instance.holder);
    } catch (...) {
      report_disposal_error(d, "destructor");
    }
    delete r;
  }
}

void dispose(scope_node* n) noexcept {
  // In the context the scope was opened in, with the scope itself current (one more
  // reference, dropped when the run ends unless a disposer captured the context).
  bool disposed = false;
  try {
    retain(n->outer);
    context_swap outer(n->outer);
    retain(n);
    scope_variable().run(scope_ref::adopt(n), [&] {
      disposed = true;
      dispose_instances(n);
    });
  } catch (...) {
    // Out of memory building the context: dispose in the thread's context instead.
  }
  if (!disposed) dispose_instances(n);
  // The values go last: disposers may still read them.
  std::vector<std::pair<std::uint64_t, std::shared_ptr<void>>> values;
  {
    std::unique_lock lock(n->values_mutex);
    values.swap(n->values);
  }
}

void free_node(scope_node* n) noexcept {
  scope_node* parent = n->parent;
  scope_node* root = n->is_root() ? nullptr : n->root;
  frame* outer = n->outer;
  delete n;
  release(outer);
  release(root);
  release(parent);
}

}  // namespace

const variable<scope_ref>& scope_variable() noexcept {
  static const variable<scope_ref> v({.name = "asyncctx.async_scope"});
  return v;
}

std::uint32_t new_service_type_id() noexcept { return g_next_service_type_id.fetch_add(1, std::memory_order_relaxed); }

std::string demangled_name(const std::type_info& type) { return demangled_name_of(std::type_index(type)); }

std::string demangled_name_of(std::type_index type) {
  int status = 0;
  char* name = abi::__cxa_demangle(type.name(), nullptr, nullptr, &status);
  if (status != 0 || name == nullptr) return type.name();
  std::string result(name);
  std::free(name);  // NOLINT(cppcoreguidelines-no-malloc): __cxa_demangle allocates with malloc
  return result;
}

void scope_last_release(scope_node* n) noexcept {
  if (n->state.load(std::memory_order_acquire) == scope_state::disposed) {
    free_node(n);
    return;
  }
  // The count reached zero: nobody else can reach the node, so it may take a reference back
  // for the disposal.
  n->refs.store(1, std::memory_order_relaxed);
  n->state.store(scope_state::disposing, std::memory_order_release);
  dispose(n);
  n->state.store(scope_state::disposed, std::memory_order_release);
  release(n);
}

scope_node* open_root_node(std::shared_ptr<const service_table> services) {
  auto* n = new scope_node;
  n->root = n;
  n->slots = std::make_unique<std::atomic<std::uintptr_t>[]>(services->services.size());
  n->services = std::move(services);
  return n;
}

scope_node* open_scope_node(scope_node* parent, const std::shared_ptr<const service_table>* services,
                            scope_node* root) {
  auto n = std::make_unique<scope_node>();
  if (services != nullptr) {
    n->services = *services;
    n->root = root;
  } else if (parent != nullptr && parent->services != nullptr) {
    n->services = parent->services;
    n->root = parent->root;
  }
  if (n->services != nullptr) n->slots = std::make_unique<std::atomic<std::uintptr_t>[]>(n->services->services.size());
  retain(n->root);
  n->parent = parent;
  retain(parent);
  n->outer = capture_current();
  return n.release();
}

scope_node* require_open_scope(std::string_view what) {
  scope_node* n = current_scope_node();
  if (n == nullptr) {
    throw no_scope("asyncctx::async_var \"" + std::string(what) + "\": no async_scope is active");
  }
  if (n->state.load(std::memory_order_acquire) == scope_state::disposed) {
    throw scope_disposed("asyncctx::async_var \"" + std::string(what) + "\": its async_scope was disposed");
  }
  return n;
}

void set_scope_value(scope_node* n, std::uint64_t key, std::shared_ptr<void> value) {
  std::shared_ptr<void> old;  // destroyed after the lock is released
  std::unique_lock lock(n->values_mutex);
  for (auto& [k, v] : n->values) {
    if (k == key) {
      old = std::exchange(v, std::move(value));
      return;
    }
  }
  n->values.emplace_back(key, std::move(value));
}

std::shared_ptr<void> find_scope_value(const scope_node* n, std::uint64_t key) {
  for (; n != nullptr; n = n->parent) {
    std::shared_lock lock(n->values_mutex);
    for (const auto& [k, v] : n->values) {
      if (k == key) return v;
    }
  }
  return nullptr;
}

namespace {

instance_record* build(scope_node* owner, scope_node* root, const service_table& table, std::uint32_t index,
                       const resolution_chain* chain) {
  const service_descriptor& d = table.services[index];
  resolution_chain next = chain != nullptr ? *chain : resolution_chain{};
  next.push_back({&table, index});
  created_instance instance;
  const auto call = [&] { instance = d.factory(); };
  if (d.lifetime == service_lifetime::singleton) {
    // A singleton is built in the root scope: it sees no request's values, and a scoped
    // service resolved from there is a captive.
    retain(root);
    scope_variable().run(scope_ref::adopt(root), [&] { chain_variable().run(std::move(next), call); });
  } else {
    chain_variable().run(std::move(next), call);
  }
  std::unique_ptr<instance_record> record;
  try {
    record = std::make_unique<instance_record>(instance_record{instance, &d, index, nullptr});
  } catch (...) {
    try {
      instance.destroy(instance.holder);
    } catch (...) {
    }
    throw;
  }
  std::lock_guard lock(owner->instances_mutex);
  record->older = owner->newest;
  owner->newest = record.get();
  return record.release();
}

}  // namespace

void* resolve_service(std::uint32_t type_id, const std::type_info& type) {
  scope_node* n = current_scope_node();
  if (n == nullptr) throw no_scope("asyncctx::resolve<" + demangled_name(type) + ">: no async_scope is active");
  const service_table* table = n->services.get();
  if (table == nullptr) {
    throw service_not_registered("asyncctx::resolve<" + demangled_name(type) +
                                 ">: the current async_scope has no service_registry (open one with "
                                 "async_scope::run(registry, f))");
  }
  std::uint32_t index = table->find(type_id);
  if (index == no_service) {
    const auto it = table->index_by_type.find(std::type_index(type));
    if (it == table->index_by_type.end()) {
      throw service_not_registered("asyncctx::resolve<" + demangled_name(type) + ">: not registered");
    }
    index = it->second;
  }
  const service_descriptor& d = table->services[index];

  const resolution_chain* chain = chain_variable().get();
  if (chain != nullptr) {
    std::vector<std::uint32_t> path;
    bool cycle = false;
    for (const chain_link& link : *chain) {
      if (link.table != table) continue;
      path.push_back(link.index);
      if (link.index == index) {
        cycle = true;
        path.assign(1, index);  // the cycle starts at the first occurrence
      }
    }
    if (cycle) {
      path.push_back(index);
      throw_cycle(chain_text(*table, path));
    }
  }
  if (d.lifetime == service_lifetime::scoped && n->is_root()) {
    // Only a singleton's factory (or what it calls) runs in the root scope.
    std::vector<std::uint32_t> path;
    if (chain != nullptr) {
      for (const chain_link& link : *chain) {
        if (link.table != table) continue;
        if (path.empty() && table->services[link.index].lifetime != service_lifetime::singleton) continue;
        path.push_back(link.index);
      }
    }
    path.push_back(index);
    throw_captive(chain_text(*table, path));
  }

  scope_node* owner = d.lifetime == service_lifetime::singleton ? n->root : n;
  if (d.lifetime == service_lifetime::transient) {
    if (owner->state.load(std::memory_order_acquire) != scope_state::open) {
      throw scope_disposed("asyncctx::resolve<" + d.name + ">: its async_scope was disposed");
    }
    return build(owner, n->root, *table, index, chain)->instance.object;
  }
  std::atomic<std::uintptr_t>& slot = owner->slots[index];
  for (;;) {
    std::uintptr_t v = slot.load(std::memory_order_acquire);
    if (v > slot_disposed) return reinterpret_cast<instance_record*>(v)->instance.object;
    if (v == slot_disposed) {
      throw scope_disposed("asyncctx::resolve<" + d.name + ">: the instance of its async_scope was already disposed");
    }
    if (owner->state.load(std::memory_order_acquire) != scope_state::open) {
      throw scope_disposed("asyncctx::resolve<" + d.name + ">: its async_scope was disposed");
    }
    if (v == slot_constructing) {
      // Another thread builds it: wait for its result (or for it to fail, then try again).
      slot.wait(slot_constructing, std::memory_order_acquire);
      continue;
    }
    if (!slot.compare_exchange_strong(v, slot_constructing, std::memory_order_acquire)) continue;
    instance_record* record;
    try {
      record = build(owner, n->root, *table, index, chain);
    } catch (...) {
      slot.store(slot_empty, std::memory_order_release);
      slot.notify_all();
      throw;
    }
    slot.store(reinterpret_cast<std::uintptr_t>(record), std::memory_order_release);
    slot.notify_all();
    return record->instance.object;
  }
}

scope_node* registry_root(const service_registry& registry) {
  if (registry.freeze_mutex_ == nullptr) throw std::logic_error("asyncctx::service_registry: used after a move");
  std::lock_guard lock(*registry.freeze_mutex_);
  if (registry.root_ == nullptr) {
    registry.validate();
    registry.root_ = open_root_node(registry.table_);
  }
  return registry.root_;
}

}  // namespace detail

service_registry::service_registry()
    : table_(std::make_shared<detail::service_table>()), freeze_mutex_(std::make_unique<std::mutex>()) {}

service_registry::service_registry(service_registry&& other) noexcept
    : table_(std::move(other.table_)),
      freeze_mutex_(std::move(other.freeze_mutex_)),
      root_(std::exchange(other.root_, nullptr)) {}

service_registry& service_registry::operator=(service_registry&& other) noexcept {
  if (this != &other) {
    detail::release(root_);
    table_ = std::move(other.table_);
    freeze_mutex_ = std::move(other.freeze_mutex_);
    root_ = std::exchange(other.root_, nullptr);
  }
  return *this;
}

service_registry::~service_registry() { detail::release(root_); }

void service_registry::add_descriptor(std::uint32_t type_id, detail::service_descriptor d) {
  if (freeze_mutex_ == nullptr) throw std::logic_error("asyncctx::service_registry: used after a move");
  std::lock_guard lock(*freeze_mutex_);
  if (root_ != nullptr) {
    throw std::logic_error("asyncctx::service_registry: " + d.name +
                           " is added after the first scope was opened with the registry");
  }
  if (table_->index_by_type.count(d.type) != 0) {
    throw std::invalid_argument("asyncctx::service_registry: " + d.name + " is already registered");
  }
  const auto index = static_cast<std::uint32_t>(table_->services.size());
  if (type_id >= table_->index_by_type_id.size()) table_->index_by_type_id.resize(type_id + 1, detail::no_service);
  table_->services.reserve(table_->services.size() + 1);
  table_->index_by_type.emplace(d.type, index);
  table_->index_by_type_id[type_id] = index;
  table_->services.push_back(std::move(d));
}

void service_registry::validate() const {
  if (table_ == nullptr) throw std::logic_error("asyncctx::service_registry: used after a move");
  const detail::service_table& table = *table_;
  const std::size_t count = table.services.size();
  // The dependency graph, by index; an unregistered dependency is refused first.
  std::vector<std::vector<std::uint32_t>> edges(count);
  for (std::size_t i = 0; i < count; ++i) {
    for (const std::type_index& dep : table.services[i].dependencies) {
      const auto it = table.index_by_type.find(dep);
      if (it == table.index_by_type.end()) {
        throw service_not_registered("asyncctx::service_registry: " + detail::describe(table.services[i]) +
                                     " depends on " + detail::demangled_name_of(dep) + ", which is not registered");
      }
      edges[i].push_back(it->second);
    }
  }
  // Cycles: depth-first, white / grey (on the path) / black.
  std::vector<int> colour(count, 0);
  std::vector<std::uint32_t> path;
  const auto visit = [&](auto&& self, std::uint32_t i) -> void {
    colour[i] = 1;
    path.push_back(i);
    for (const std::uint32_t j : edges[i]) {
      if (colour[j] == 1) {
        std::vector<std::uint32_t> cycle(std::find(path.begin(), path.end(), j), path.end());
        cycle.push_back(j);
        detail::throw_cycle(detail::chain_text(table, cycle));
      }
      if (colour[j] == 0) self(self, j);
    }
    path.pop_back();
    colour[i] = 2;
  };
  for (std::uint32_t i = 0; i < count; ++i) {
    if (colour[i] == 0) visit(visit, i);
  }
  // Captives: from each singleton, the first path to a scoped service (the graph is acyclic now).
  for (std::uint32_t s = 0; s < count; ++s) {
    if (table.services[s].lifetime != service_lifetime::singleton) continue;
    std::vector<char> seen(count, 0);
    path.clear();
    const auto find_scoped = [&](auto&& self, std::uint32_t i) -> void {
      path.push_back(i);
      if (table.services[i].lifetime == service_lifetime::scoped)
        detail::throw_captive(detail::chain_text(table, path));
      seen[i] = 1;
      for (const std::uint32_t j : edges[i]) {
        if (seen[j] == 0) self(self, j);
      }
      path.pop_back();
    };
    find_scoped(find_scoped, s);
  }
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
