// detail::deadline_timer: the one timer service behind every context deadline.
//
// Deadlines cost no timer each: every cancel_node with a deadline of its own has one entry in
// a single min-heap ordered by deadline, served by one thread (started at the first entry)
// that sleeps until the earliest deadline and cancels its node with deadline_exceeded. The
// thread is woken only when an entry earlier than the time it sleeps until arrives, so adding
// and removing entries is a lock, a heap step and an unlock.
//
// An entry is released as soon as its context completes: when the node is cancelled (by its
// deadline, its caller or its parent) or destroyed (the last context holding it is gone).
// Entries do not own their nodes: the service takes a reference with try_retain, under its
// lock, before it cancels one, and a node being destroyed removes its entry under that lock.
// Thread-safety: every function may be called from any thread. The state lives in
// src/cancellation.cpp, once per process; it is never destroyed (contexts may be released
// during static destruction and thread exit).
#pragma once

#include <asyncctx/detail/config.hpp>

#include <cstddef>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace detail {

class cancel_node;

// Adds `n`'s entry (n->deadline_ is its time). Precondition: n has no entry.
void deadline_timer_add(cancel_node* n);
// Removes `n`'s entry, if it still has one.
void deadline_timer_remove(cancel_node* n) noexcept;
// The number of entries (tests: every entry is released when its context completes).
ASYNCCTX_API std::size_t deadline_timer_entries() noexcept;

}  // namespace detail
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
