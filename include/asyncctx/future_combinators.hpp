// The JavaScript promise combinators over futures: all, race, any, all_settled.
//
//   all(futures)          fulfils with every value, in input order, once all are fulfilled;
//                         rejects with the first rejection (future<void> inputs: future<void>).
//   race(futures)         settles like the first input to settle. race({}) never settles.
//   any(futures)          fulfils with the first fulfilled value; rejects with
//                         asyncctx::aggregate_error (every reason, in input order) when all
//                         were rejected, at once for an empty input.
//   all_settled(futures)  fulfils, once all settled, with a settled_result per input.
//
// Each input counts as handled (its rejection is not reported as unhandled), as JavaScript
// attaches handlers to every input. The combinators run no user code: the result future is
// settled on the thread that settles the deciding input, and the reactions registered on it
// run in their own registration-time contexts, as with any future.
// The result is a "PROMISE" async resource triggered by execution_async_id() at the call.
// Thread-safety: inputs may be settled from any threads at once.
#pragma once

#include <asyncctx/aggregate_error.hpp>
#include <asyncctx/detail/future_state.hpp>
#include <asyncctx/future.hpp>

#include <atomic>
#include <cstddef>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {

enum class settle_status { fulfilled, rejected };

// One input's outcome for all_settled (JavaScript's {status, value} / {status, reason}).
template <class T>
struct settled_result {
  settle_status status;
  std::optional<T> value;     // when fulfilled
  std::exception_ptr reason;  // when rejected
};
template <>
struct settled_result<void> {
  settle_status status;
  std::exception_ptr reason;  // when rejected
};

namespace detail {

// The state of a combinator's result, with one reaction node per input.
// Invariant: each node holds one reference to *this until it has fired; `remaining_`
// counts the inputs still awaited by the combinator's completion rule.
template <class T, class R, class Slot>
class combinator_state final : public shared_state<R> {
 public:
  using on_input_fn = void (*)(combinator_state& self, std::size_t index, shared_state<T>& input) noexcept;

  combinator_state(std::size_t n, on_input_fn on_input) : nodes_(n), slots_(n), remaining_(n), on_input_(on_input) {}

  // Registers on every input (each one counted as handled).
  void start(const std::vector<future<T>>& inputs) noexcept {
    const std::size_t n = inputs.size();
    this->add_ref(static_cast<std::uint32_t>(n));
    for (std::size_t i = 0; i < n; ++i) {
      nodes_[i].owner = this;
      nodes_[i].index = i;
      nodes_[i].fire = &fire_node;
    }
    for (std::size_t i = 0; i < n; ++i) {
      shared_state<T>* input = future_access::state(inputs[i]);
      input->mark_handled();
      input->register_or_schedule(&nodes_[i]);
    }
  }

  Slot& slot(std::size_t i) noexcept { return slots_[i]; }
  std::vector<Slot>& slots() noexcept { return slots_; }
  // Counts one input off; true for the last one (acq_rel: it sees every slot written before).
  bool count_down() noexcept { return remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1; }

 private:
  struct node : continuation {
    combinator_state* owner = nullptr;
    std::size_t index = 0;
  };

  static void fire_node(continuation* c, state_base* source) noexcept {
    auto* n = static_cast<node*>(c);
    combinator_state* self = n->owner;
    if (source != nullptr) self->on_input_(*self, n->index, static_cast<shared_state<T>&>(*source));
    self->release();
  }

  std::vector<node> nodes_;
  std::vector<Slot> slots_;  // slot i is written only by input i's reaction
  std::atomic<std::size_t> remaining_;
  on_input_fn on_input_;
};

template <class T>
void require_valid(const std::vector<future<T>>& inputs, const char* who) {
  for (const auto& f : inputs) {
    if (!f.valid()) throw std::invalid_argument(std::string(who) + ": invalid future in the input");
  }
}

template <class T, class R, class Slot>
future<R> start_combinator(const std::vector<future<T>>& inputs,
                           typename combinator_state<T, R, Slot>::on_input_fn on_input) {
  auto* s = new combinator_state<T, R, Slot>(inputs.size(), on_input);
  future<R> result = future_access::adopt<R>(s);
  s->start(inputs);
  return result;
}

}  // namespace detail

// JavaScript's Promise.all.
template <class T>
auto all(const std::vector<future<T>>& inputs) {
  detail::require_valid(inputs, "asyncctx::all");
  if constexpr (std::is_void_v<T>) {
    if (inputs.empty()) return make_resolved_future();
    using state = detail::combinator_state<void, void, detail::unit>;
    return detail::start_combinator<void, void, detail::unit>(
        inputs, [](state& self, std::size_t, detail::shared_state<void>& input) noexcept {
          if (input.rejected()) {
            self.reject(input.error());
          } else if (self.count_down()) {
            self.resolve();
          }
        });
  } else {
    using R = std::vector<T>;
    if (inputs.empty()) return make_resolved_future(R{});
    using state = detail::combinator_state<T, R, std::optional<T>>;
    return detail::start_combinator<T, R, std::optional<T>>(
        inputs, [](state& self, std::size_t i, detail::shared_state<T>& input) noexcept {
          if (input.rejected()) {
            self.reject(input.error());
            return;
          }
          try {
            self.slot(i).emplace(input.pass_value());
          } catch (...) {
            self.reject(std::current_exception());
            return;
          }
          if (self.count_down()) {
            try {
              R values;
              values.reserve(self.slots().size());
              for (auto& v : self.slots()) values.push_back(std::move(*v));
              self.resolve(std::move(values));
            } catch (...) {
              self.reject(std::current_exception());
            }
          }
        });
  }
}

// JavaScript's Promise.race.
template <class T>
future<T> race(const std::vector<future<T>>& inputs) {
  detail::require_valid(inputs, "asyncctx::race");
  using state = detail::combinator_state<T, T, detail::unit>;
  return detail::start_combinator<T, T, detail::unit>(
      inputs, [](state& self, std::size_t, detail::shared_state<T>& input) noexcept { self.settle_like(input); });
}

// JavaScript's Promise.any.
template <class T>
future<T> any(const std::vector<future<T>>& inputs) {
  detail::require_valid(inputs, "asyncctx::any");
  if (inputs.empty()) return make_rejected_future<T>(std::make_exception_ptr(aggregate_error({})));
  using state = detail::combinator_state<T, T, std::exception_ptr>;
  return detail::start_combinator<T, T, std::exception_ptr>(
      inputs, [](state& self, std::size_t i, detail::shared_state<T>& input) noexcept {
        if (!input.rejected()) {
          self.settle_like(input);
          return;
        }
        self.slot(i) = input.error();
        if (self.count_down()) {
          try {
            self.reject(std::make_exception_ptr(aggregate_error(std::move(self.slots()))));
          } catch (...) {
            self.reject(std::current_exception());
          }
        }
      });
}

// JavaScript's Promise.allSettled.
template <class T>
future<std::vector<settled_result<T>>> all_settled(const std::vector<future<T>>& inputs) {
  detail::require_valid(inputs, "asyncctx::all_settled");
  using R = std::vector<settled_result<T>>;
  if (inputs.empty()) return make_resolved_future(R{});
  using slot = std::optional<settled_result<T>>;
  using state = detail::combinator_state<T, R, slot>;
  return detail::start_combinator<T, R, slot>(
      inputs, [](state& self, std::size_t i, detail::shared_state<T>& input) noexcept {
        try {
          if (input.rejected()) {
            if constexpr (std::is_void_v<T>) {
              self.slot(i).emplace(settled_result<T>{settle_status::rejected, input.error()});
            } else {
              self.slot(i).emplace(settled_result<T>{settle_status::rejected, std::nullopt, input.error()});
            }
          } else {
            if constexpr (std::is_void_v<T>) {
              self.slot(i).emplace(settled_result<T>{settle_status::fulfilled, nullptr});
            } else {
              self.slot(i).emplace(settled_result<T>{settle_status::fulfilled, input.pass_value(), nullptr});
            }
          }
        } catch (...) {
          self.reject(std::current_exception());
        }
        if (self.count_down()) {
          try {
            R results;
            results.reserve(self.slots().size());
            for (auto& r : self.slots()) {
              if (r) results.push_back(std::move(*r));
            }
            self.resolve(std::move(results));
          } catch (...) {
            self.reject(std::current_exception());
          }
        }
      });
}

}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
