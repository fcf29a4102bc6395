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

// The services being built on this call path: a factory runs with a context entry naming
// it, linked to the entry of the build that called it, so a resolution inside it can see a
// cycle (the same service again) and name the whole chain. The links live in the frames'
// value boxes (no allocation of their own); each keeps its parent's box alive.
class chain_link {
 public:
  chain_link(const service_table* table, std::uint32_t index, const entry* enclosing) noexcept
      : table_(table), index_(index), parent_box_(enclosing != nullptr ? enclosing->box : nullptr) {
    retain(parent_box_);
  }
  chain_link(const chain_link& o) noexcept : table_(o.table_), index_(o.index_), parent_box_(o.parent_box_) {
    retain(parent_box_);
  }
  chain_link& operator=(const chain_link&) = delete;
  ~chain_link() { release(parent_box_); }

  const service_table* table() const noexcept { return table_; }
  std::uint32_t index() const noexcept { return index_; }
  const chain_link* parent() const noexcept {
    return parent_box_ != nullptr ? &box_value<chain_link>(parent_box_) : nullptr;
  }

 private:
  const service_table* table_;
  std::uint32_t index_;
  value_box* parent_box_;  // owned reference to the enclosing build's link
};

std::uint64_t chain_key() noexcept {
  static const std::uint64_t key = new_key();
  return key;
}

// The innermost build of the current context, or null.
const chain_link* current_chain() noexcept {
  const entry* e = find_current(chain_key());
  return e != nullptr ? &box_value<chain_link>(e->box) : nullptr;
}

// The indexes (in `table`) of the builds of `chain`, outermost first.
std::vector<std::uint32_t> chain_path(const chain_link* chain, const service_table* table) {
  std::vector<std::uint32_t> path;
  for (; chain != nullptr; chain = chain->parent()) {
    if (chain->table() == table) path.push_back(chain->index());
  }
  return {path.rbegin(), path.rend()};
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
    instance_record* r = n->newest.load(std::memory_order_acquire);
    if (r == nullptr) return;
    n->newest.store(r->older, std::memory_order_relaxed);
    const service_descriptor& d = *r->descriptor;
    if (d.lifetime != service_lifetime::transient) {
      n->slots[r->index].store(slot_disposed, std::memory_order_release);
      n->slots[r->index].notify_all();
    }
    if (d.disposer) {
      try {
        d.disposer(r->object);
      } catch (...) {
        report_disposal_error(d, "disposer");
      }
    }
    try {
      r->destroy(r);
    } catch (...) {
      report_disposal_error(d, "destructor");
    }
  }
}

void dispose(scope_node* n) noexcept {
  if (n->newest.load(std::memory_order_acquire) != nullptr) {
    // In the context the scope was opened in, with the scope itself current (one more
    // reference, dropped when the run ends unless a disposer captured the context).
    bool ran = false;
    try {
      retain(n->outer);
      context_swap outer(n->outer);
      retain(n);
      scope_variable().run(scope_ref::adopt(n), [&] {
        ran = true;
        dispose_instances(n);
      });
    } catch (...) {
      // Out of memory building the context: dispose in the thread's context instead.
    }
    if (!ran) dispose_instances(n);
  }
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
  n->~scope_node();
  ::operator delete(n);
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

namespace {

// A node with its slots in the same allocation, right after it.
scope_node* new_node(std::shared_ptr<const service_table> services) {
  const std::size_t count = services != nullptr ? services->services.size() : 0;
  static_assert(sizeof(scope_node) % alignof(std::atomic<std::uintptr_t>) == 0);
  void* mem = ::operator new(sizeof(scope_node) + count * sizeof(std::atomic<std::uintptr_t>));
  auto* n = ::new (mem) scope_node;
  n->slots = reinterpret_cast<std::atomic<std::uintptr_t>*>(n + 1);
  for (std::size_t i = 0; i < count; ++i) ::new (&n->slots[i]) std::atomic<std::uintptr_t>(slot_empty);
  n->services = std::move(services);
  return n;
}

}  // namespace

scope_node* open_root_node(std::shared_ptr<const service_table> services) {
  scope_node* n = new_node(std::move(services));
  n->root = n;
  return n;
}

scope_node* open_scope_node(scope_node* parent, const std::shared_ptr<const service_table>* services,
                            scope_node* root) {
  if (services == nullptr && parent != nullptr && parent->services != nullptr) {
    services = &parent->services;
    root = parent->root;
  }
  scope_node* n = new_node(services != nullptr ? *services : nullptr);
  if (n->services != nullptr) {
    n->root = root;
    retain(root);
  }
  n->parent = parent;
  retain(parent);
  n->outer = capture_current();
  return n;
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

instance_record* build(scope_node* owner, scope_node* root, const service_table& table, std::uint32_t index) {
  const service_descriptor& d = table.services[index];
  instance_record* record = nullptr;
  const auto call = [&] {
    const std::uint64_t key = chain_key();
    context_swap guard(frame_with_value<chain_link>(current_frame(), key, &table, index, find_current(key)));
    record = d.factory();
  };
  if (d.lifetime == service_lifetime::singleton) {
    // A singleton is built in the root scope: it sees no request's values, and a scoped
    // service resolved from there is a captive.
    retain(root);
    scope_variable().run(scope_ref::adopt(root), call);
  } else {
    call();
  }
  record->descriptor = &d;
  record->index = index;
  record->older = owner->newest.load(std::memory_order_relaxed);
  while (!owner->newest.compare_exchange_weak(record->older, record, std::memory_order_release,
                                              std::memory_order_relaxed)) {
  }
  return record;
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

  if (const chain_link* chain = current_chain(); chain != nullptr) [[unlikely]] {
    for (const chain_link* l = chain; l != nullptr; l = l->parent()) {
      if (l->table() == table && l->index() == index) {
        // The cycle starts where the service was first asked for.
        std::vector<std::uint32_t> path = chain_path(chain, table);
        path.erase(path.begin(), std::find(path.begin(), path.end(), index));
        path.push_back(index);
        throw_cycle(chain_text(*table, path));
      }
    }
  }
  if (d.lifetime == service_lifetime::scoped && n->is_root()) {
    // Only a singleton's factory (or what it calls) runs in the root scope.
    std::vector<std::uint32_t> path = chain_path(current_chain(), table);
    const auto first_singleton = std::find_if(path.begin(), path.end(), [&](std::uint32_t i) {
      return table->services[i].lifetime == service_lifetime::singleton;
    });
    path.erase(path.begin(), first_singleton);
    path.push_back(index);
    throw_captive(chain_text(*table, path));
  }

  scope_node* owner = d.lifetime == service_lifetime::singleton ? n->root : n;
  if (d.lifetime == service_lifetime::transient) {
    if (owner->state.load(std::memory_order_acquire) != scope_state::open) {
      throw scope_disposed("asyncctx::resolve<" + d.name + ">: its async_scope was disposed");
    }
    return build(owner, n->root, *table, index)->object;
  }
  std::atomic<std::uintptr_t>& slot = owner->slots[index];
  for (;;) {
    std::uintptr_t v = slot.load(std::memory_order_acquire);
    if (v > slot_disposed) return reinterpret_cast<instance_record*>(v)->object;
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
      record = build(owner, n->root, *table, index);
    } catch (...) {
      slot.store(slot_empty, std::memory_order_release);
      slot.notify_all();
      throw;
    }
    slot.store(reinterpret_cast<std::uintptr_t>(record), std::memory_order_release);
    slot.notify_all();
    return record->object;
  }
}

scope_node* registry_root(const service_registry& registry) {
  if (scope_node* root = registry.root_.load(std::memory_order_acquire)) [[likely]] {
    return root;
  }
  if (registry.freeze_mutex_ == nullptr) throw std::logic_error("asyncctx::service_registry: used after a move");
  std::lock_guard lock(*registry.freeze_mutex_);
  scope_node* root = registry.root_.load(std::memory_order_relaxed);
  if (root == nullptr) {
    registry.validate();
    root = open_root_node(registry.table_);
    registry.root_.store(root, std::memory_order_release);
  }
  return root;
}

}  // namespace detail

service_registry::service_registry()
    : table_(std::make_shared<detail::service_table>()), freeze_mutex_(std::make_unique<std::mutex>()) {}

service_registry::service_registry(service_registry&& other) noexcept
    : table_(std::move(other.table_)),
      freeze_mutex_(std::move(other.freeze_mutex_)),
      root_(other.root_.exchange(nullptr, std::memory_order_relaxed)) {}

service_registry& service_registry::operator=(service_registry&& other) noexcept {
  if (this != &other) {
    detail::release(root_.load(std::memory_order_relaxed));
    table_ = std::move(other.table_);
    freeze_mutex_ = std::move(other.freeze_mutex_);
    root_.store(other.root_.exchange(nullptr, std::memory_order_relaxed), std::memory_order_relaxed);
  }
  return *this;
}

service_registry::~service_registry() { detail::release(root_.load(std::memory_order_relaxed)); }

void service_registry::add_descriptor(std::uint32_t type_id, detail::service_descriptor d) {
  if (freeze_mutex_ == nullptr) throw std::logic_error("asyncctx::service_registry: used after a move");
  std::lock_guard lock(*freeze_mutex_);
  if (root_.load(std::memory_order_relaxed) != nullptr) {
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
