// The machinery of async_scope, async_var and the service registry.
//
// service_table: what a service_registry holds once it is frozen (the first scope opened with
// it): one descriptor per service, and the maps from a service's type to its index. Immutable
// after the freeze, so any thread reads it without a lock.
//
// scope_node: one async_scope. The current scope is a context variable (async_scope.hpp)
// holding a scope_ref, a counted reference to its node, so a scope lives exactly as long as
// some context (a run, a captured task, a pool job, a handler) can still reach it. A node
// holds:
//   * its parent (a counted reference): async_var lookups walk the chain outwards;
//   * the async_var values set in it, under a shared mutex: a set happens-before every get
//     that observes it (or a later set), on any thread;
//   * the service instances it owns: one slot per service of its table, an atomic word that
//     is empty (0), being constructed (1), disposed (2), or the address of the instance's
//     record. A record is published with a release store after the instance is built, and
//     read with an acquire load, so a thread that sees the pointer sees the whole instance;
//   * the records in creation order (a list, newest first), for disposal in reverse order.
// The last reference to go disposes the node (scope_last_release, src/async_scope.cpp):
// the node takes one reference back, runs the disposers and destructors in the context the
// scope was opened in plus the scope itself, marks itself disposed, and drops that reference;
// whatever captured the context during disposal keeps the memory alive and finds the scope
// disposed. A registry's root node (its singletons) is a node whose `root` is itself.
//
// Thread-safety: counts, slots and the record list are atomic; values are guarded by
// values_mutex; everything else is set before the node is shared and never changed.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/detail/frame.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <typeindex>
#include <unordered_map>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

// How long a service's instance lives (service_registry.hpp).
enum class service_lifetime : std::uint8_t {
  singleton,  // one per registry, disposed when the registry and every scope using it are gone
  scoped,     // one per scope, disposed when the scope ends
  transient,  // a new one per resolution, owned (and disposed) by the scope that resolved it
};

namespace detail {

struct service_descriptor;

// A built instance, in one allocation with its bookkeeping (instance_holder below): `object`
// is the service; `destroy` destroys the instance and frees the record (it may throw, for a
// destructor declared noexcept(false)).
struct instance_record {
  void* object = nullptr;
  void (*destroy)(instance_record*) = nullptr;
  const service_descriptor* descriptor = nullptr;
  std::uint32_t index = 0;
  instance_record* older = nullptr;  // the record created just before (disposed after this one)
};

// What a factory returned (a T, or a unique_ptr / shared_ptr to one), with its record.
template <class V>
struct instance_holder final : instance_record {
  template <class R>
  instance_holder(std::in_place_t /*tag*/, R&& r) : value(std::forward<R>(r)) {}
  V value;
};

struct service_descriptor {
  std::string name;  // the service type's name, for messages
  std::type_index type;
  service_lifetime lifetime;
  std::function<instance_record*()> factory;  // builds one instance (owned), resolving its parameters
  std::function<void(void*)> disposer;        // optional: called with `object` before destroy
  std::vector<std::type_index> dependencies;  // the factory's parameters, for validate()
};

// A service's index in its table, from a process-wide number per type (service_type_id):
// a vector lookup instead of hashing a type_info. Code in a shared object built with hidden
// visibility may number a type differently; the type_index map catches that (slower, correct).
ASYNCCTX_API std::uint32_t new_service_type_id() noexcept;

template <class T>
std::uint32_t service_type_id() noexcept {
  static const std::uint32_t id = new_service_type_id();
  return id;
}

inline constexpr std::uint32_t no_service = 0xFFFFFFFFU;

struct service_table {
  std::vector<service_descriptor> services;
  std::vector<std::uint32_t> index_by_type_id;  // service_type_id -> index, or no_service
  std::unordered_map<std::type_index, std::uint32_t> index_by_type;

  ASYNCCTX_ALWAYS_INLINE std::uint32_t find(std::uint32_t type_id) const noexcept {
    return type_id < index_by_type_id.size() ? index_by_type_id[type_id] : no_service;
  }
};

inline constexpr std::uintptr_t slot_empty = 0;
inline constexpr std::uintptr_t slot_constructing = 1;
inline constexpr std::uintptr_t slot_disposed = 2;

enum class scope_state : std::uint8_t { open, disposing, disposed };

class scope_node {
 public:
  std::atomic<std::uint32_t> refs{1};
  std::atomic<scope_state> state{scope_state::open};
  scope_node* parent = nullptr;  // owned reference, or null at the outermost scope
  scope_node* root = nullptr;    // the registry's root (owned unless it is this node); null: no registry
  std::shared_ptr<const service_table> services;  // null: no registry
  frame* outer = nullptr;                         // owned: the context the scope was opened in, for disposal
  std::atomic<std::uintptr_t>* slots = nullptr;   // one per service of `services`, after the node

  std::atomic<instance_record*> newest{nullptr};  // pushed lock-free; popped by the disposal only

  mutable std::shared_mutex values_mutex;
  std::vector<std::pair<std::uint64_t, std::shared_ptr<void>>> values;  // guarded by values_mutex

  bool is_root() const noexcept { return root == this; }
};

// Called when the count reaches zero: disposes the node, or frees it once it was disposed.
ASYNCCTX_API void scope_last_release(scope_node* node) noexcept;

inline void retain(scope_node* n) noexcept {
  if (n != nullptr) n->refs.fetch_add(1, std::memory_order_relaxed);
}
inline void release(scope_node* n) noexcept {
  if (n != nullptr && n->refs.fetch_sub(1, std::memory_order_acq_rel) == 1) scope_last_release(n);
}

// A counted reference to a scope node: the value of the current-scope variable.
class scope_ref {
 public:
  scope_ref() noexcept = default;
  // Takes over one reference.
  static scope_ref adopt(scope_node* n) noexcept {
    scope_ref r;
    r.node_ = n;
    return r;
  }
  scope_ref(const scope_ref& o) noexcept : node_(o.node_) { retain(node_); }
  scope_ref(scope_ref&& o) noexcept : node_(std::exchange(o.node_, nullptr)) {}
  scope_ref& operator=(scope_ref o) noexcept {
    std::swap(node_, o.node_);
    return *this;
  }
  ~scope_ref() { release(node_); }
  scope_node* get() const noexcept { return node_; }

 private:
  scope_node* node_ = nullptr;
};

// A new scope inside `parent` (may be null). With `services`, the scope (and the scopes
// inside it) resolve from that registry, whose root node is `root`; otherwise from the
// parent's. `outer` is the context the scope is opened in. Returns one reference.
ASYNCCTX_API scope_node* open_scope_node(scope_node* parent, const std::shared_ptr<const service_table>* services,
                                         scope_node* root);

// A registry's root node (holds its singletons). Returns one reference.
ASYNCCTX_API scope_node* open_root_node(std::shared_ptr<const service_table> services);

// async_var storage on a node chain (src/async_scope.cpp).
ASYNCCTX_API void set_scope_value(scope_node* n, std::uint64_t key, std::shared_ptr<void> value);
ASYNCCTX_API std::shared_ptr<void> find_scope_value(const scope_node* n, std::uint64_t key);

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
