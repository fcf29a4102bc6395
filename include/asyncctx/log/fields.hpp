// asyncctx::log::fields: an ordered set of log fields, keyed by field key.
//
// Order is the order in which keys first appeared; setting a key that is already present
// replaces its value in place (so an inner scope overrides an outer key without moving it).
// This is the value the logging context holds (see context_fields.hpp).
// Thread-safety: a value type; const members are safe from any thread.
#pragma once

#include <asyncctx/log/field.hpp>

#include <cstddef>
#include <initializer_list>
#include <string_view>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {

class fields {
 public:
  using const_iterator = std::vector<field>::const_iterator;

  fields() = default;
  fields(std::initializer_list<field> init) {
    items_.reserve(init.size());
    for (const field& f : init) set(f);
  }

  // Adds `f`, or replaces the value of the field with the same key where it stands.
  void set(field f) {
    for (field& mine : items_) {
      if (mine.key() == f.key()) {
        mine = std::move(f);
        return;
      }
    }
    items_.push_back(std::move(f));
  }

  // Sets every field of `other`, in its order (so `other` overrides this set).
  void merge(const fields& other) {
    for (const field& f : other) set(f);
  }

  // The field with `key`, or nullptr.
  const field* find(std::string_view key) const noexcept {
    for (const field& f : items_) {
      if (f.key() == key) return &f;
    }
    return nullptr;
  }

  std::size_t size() const noexcept { return items_.size(); }
  bool empty() const noexcept { return items_.empty(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }

  friend bool operator==(const fields&, const fields&) = default;

 private:
  std::vector<field> items_;
};

}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
