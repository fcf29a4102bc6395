// Samplers: which spans are recorded and exported (OpenTelemetry's sampling model).
//
// A sampler decides, when a span starts, from its parent (nullptr for a root span), its trace
// id, name, kind, attributes and links. The built-in ones:
//   always_on_sampler / always_off_sampler;
//   trace_id_ratio_sampler(r): OpenTelemetry's TraceIdRatioBased algorithm: the randomness R
//     is the rightmost 7 bytes (56 bits) of the trace id, the rejection threshold is
//     T = (1 - r) * 2^56, and the span is sampled when R >= T; deterministic per trace id, and
//     a trace sampled at a ratio is sampled at every higher ratio. It ignores the parent.
//   parent_based_sampler(root, ...): the default (with root = always on): a span with a parent
//     follows the parent's sampled flag (the four delegates are configurable), a root span
//     asks `root`.
// Thread-safety: should_sample is called from any thread at once; samplers are immutable.
#pragma once

#include <asyncctx/trace/span_context.hpp>
#include <asyncctx/trace/span_data.hpp>

#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {

enum class sampling_decision : std::uint8_t { drop, record_only, record_and_sample };

struct sampling_result {
  sampling_decision decision = sampling_decision::drop;
  std::vector<attribute> attributes;  // added to the span
};

class sampler {
 public:
  virtual ~sampler() = default;
  // parent: the parent's context when it is valid, else nullptr (a root span).
  virtual sampling_result should_sample(const span_context* parent, const trace_id& trace, std::string_view name,
                                        span_kind kind, const std::vector<attribute>& attributes,
                                        const std::vector<span_link>& links) const = 0;
  virtual std::string description() const = 0;
};

std::shared_ptr<const sampler> always_on_sampler();
std::shared_ptr<const sampler> always_off_sampler();
// ratio is clamped to [0, 1]; below 2^-56 nothing is sampled.
std::shared_ptr<const sampler> trace_id_ratio_sampler(double ratio);

struct parent_based_options {
  std::shared_ptr<const sampler> remote_parent_sampled = always_on_sampler();
  std::shared_ptr<const sampler> remote_parent_not_sampled = always_off_sampler();
  std::shared_ptr<const sampler> local_parent_sampled = always_on_sampler();
  std::shared_ptr<const sampler> local_parent_not_sampled = always_off_sampler();
};
std::shared_ptr<const sampler> parent_based_sampler(std::shared_ptr<const sampler> root,
                                                    parent_based_options options = {});

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
