// The built-in samplers.
#include <asyncctx/trace/sampler.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

class fixed_sampler final : public sampler {
 public:
  fixed_sampler(sampling_decision d, const char* name) : decision_(d), name_(name) {}
  sampling_result should_sample(const span_context*, const trace_id&, std::string_view, span_kind,
                                const std::vector<attribute>&, const std::vector<span_link>&) const override {
    return sampling_result{decision_, {}};
  }
  std::string description() const override { return name_; }

 private:
  sampling_decision decision_;
  const char* name_;
};

constexpr std::uint64_t max_adjusted_count = std::uint64_t{1} << 56;

class ratio_sampler final : public sampler {
 public:
  explicit ratio_sampler(double ratio) {
    if (!(ratio > 0)) ratio = 0;  // also NaN
    if (ratio > 1) ratio = 1;
    ratio_ = ratio;
    // Rejection threshold T = (1 - ratio) * 2^56; the span is kept when R >= T. Below the
    // smallest representable ratio, 2^-56, nothing is kept (T = 2^56 exceeds every R).
    const double kept = std::round(ratio * static_cast<double>(max_adjusted_count));
    threshold_ =
        kept >= static_cast<double>(max_adjusted_count) ? 0 : max_adjusted_count - static_cast<std::uint64_t>(kept);
  }
  sampling_result should_sample(const span_context*, const trace_id& trace, std::string_view, span_kind,
                                const std::vector<attribute>&, const std::vector<span_link>&) const override {
    std::uint64_t r = 0;
    for (int i = 9; i < 16; ++i) r = r << 8 | trace.bytes[static_cast<std::size_t>(i)];
    return sampling_result{r >= threshold_ ? sampling_decision::record_and_sample : sampling_decision::drop, {}};
  }
  std::string description() const override {
    char buf[64];
    std::snprintf(buf, sizeof buf, "TraceIdRatioBased{%.6f}", ratio_);
    return buf;
  }

 private:
  double ratio_ = 0;
  std::uint64_t threshold_ = max_adjusted_count;
};

class parent_sampler final : public sampler {
 public:
  parent_sampler(std::shared_ptr<const sampler> root, parent_based_options o)
      : root_(std::move(root)), o_(std::move(o)) {}
  sampling_result should_sample(const span_context* parent, const trace_id& trace, std::string_view name,
                                span_kind kind, const std::vector<attribute>& attributes,
                                const std::vector<span_link>& links) const override {
    const sampler* s = root_.get();
    if (parent != nullptr) {
      if (parent->remote) {
        s = parent->sampled() ? o_.remote_parent_sampled.get() : o_.remote_parent_not_sampled.get();
      } else {
        s = parent->sampled() ? o_.local_parent_sampled.get() : o_.local_parent_not_sampled.get();
      }
    }
    if (s == nullptr) return sampling_result{};
    return s->should_sample(parent, trace, name, kind, attributes, links);
  }
  std::string description() const override {
    auto d = [](const std::shared_ptr<const sampler>& s) { return s ? s->description() : std::string("null"); };
    return "ParentBased{root:" + d(root_) + ",remoteParentSampled:" + d(o_.remote_parent_sampled) +
           ",remoteParentNotSampled:" + d(o_.remote_parent_not_sampled) +
           ",localParentSampled:" + d(o_.local_parent_sampled) +
           ",localParentNotSampled:" + d(o_.local_parent_not_sampled) + "}";
  }

 private:
  std::shared_ptr<const sampler> root_;
  parent_based_options o_;
};

}  // namespace

std::shared_ptr<const sampler> always_on_sampler() {
  static const auto s = std::make_shared<const fixed_sampler>(sampling_decision::record_and_sample, "AlwaysOnSampler");
  return s;
}

std::shared_ptr<const sampler> always_off_sampler() {
  static const auto s = std::make_shared<const fixed_sampler>(sampling_decision::drop, "AlwaysOffSampler");
  return s;
}

std::shared_ptr<const sampler> trace_id_ratio_sampler(double ratio) {
  return std::make_shared<const ratio_sampler>(ratio);
}

std::shared_ptr<const sampler> parent_based_sampler(std::shared_ptr<const sampler> root, parent_based_options options) {
  return std::make_shared<const parent_sampler>(std::move(root), std::move(options));
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
