#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/trace/http_url.hpp>
#include <asyncctx/trace/json_lines_exporter.hpp>
#include <asyncctx/trace/otel_environment.hpp>

#include <charconv>
#include <cstdint>
#include <stdexcept>
#include <type_traits>
#include <utility>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void report(std::string_view variable, std::string_view value, std::string_view problem, std::string_view fallback) {
  std::string m;
  m.append(variable).append("=\"");
  // The value may be anything: keep the report one printable line.
  for (const char c : value.substr(0, 200)) m.push_back(static_cast<unsigned char>(c) < 0x20 ? '?' : c);
  if (value.size() > 200) m.append("...");
  m.append("\": ").append(problem).append("; using ").append(fallback);
  asyncctx::detail::report_error(error_kind::configuration, m, nullptr);
}

int hex(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> percent_decode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '%') {
      out.push_back(s[i]);
      continue;
    }
    if (i + 2 >= s.size()) return std::nullopt;
    const int hi = hex(s[i + 1]), lo = hex(s[i + 2]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
    i += 2;
  }
  return out;
}

// Each comma-separated, trimmed, non-empty entry of `text`, lowercased.
std::vector<std::string> list(std::string_view text) {
  std::vector<std::string> out;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view item = trim(text.substr(0, comma));
    if (!item.empty()) out.push_back(lower(item));
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

template <class Int>
std::optional<Int> non_negative_integer(std::string_view s) {
  s = trim(s);
  Int v{};
  const auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || r.ec != std::errc() || r.ptr != s.data() + s.size()) return std::nullopt;
  if constexpr (std::is_signed_v<Int>) {
    if (v < 0) return std::nullopt;
  }
  return v;
}

class reader {
 public:
  explicit reader(const std::function<const char*(const char*)>& lookup) : lookup_(lookup) {}

  // The variable's value; nullopt when unset or empty.
  std::optional<std::string_view> get(const char* name) const {
    const char* v = lookup_ ? lookup_(name) : nullptr;
    if (v == nullptr || *v == '\0') return std::nullopt;
    return std::string_view(v);
  }
  // The TRACES_ form if set, else the generic one; `name` receives the one used.
  std::optional<std::string_view> get_signal(const char* traces, const char* generic, const char*& name) const {
    if (auto v = get(traces)) {
      name = traces;
      return v;
    }
    name = generic;
    return get(generic);
  }

 private:
  const std::function<const char*(const char*)>& lookup_;
};

void read_milliseconds(const reader& r, const char* name, std::chrono::milliseconds& out) {
  const auto v = r.get(name);
  if (!v) return;
  if (auto n = non_negative_integer<std::int64_t>(*v)) {
    out = std::chrono::milliseconds(*n);
  } else {
    report(name, *v, "not a number of milliseconds", std::to_string(out.count()));
  }
}

void read_size(const reader& r, const char* name, std::size_t& out) {
  const auto v = r.get(name);
  if (!v) return;
  auto n = non_negative_integer<std::size_t>(*v);
  if (n && *n > 0) {
    out = *n;
  } else {
    report(name, *v, "not a positive integer", std::to_string(out));
  }
}

}  // namespace

std::optional<std::vector<std::pair<std::string, std::string>>> parse_otel_key_values(std::string_view text) {
  std::vector<std::pair<std::string, std::string>> out;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view entry = trim(text.substr(0, comma));
    if (!entry.empty()) {
      const std::size_t eq = entry.find('=');
      if (eq == std::string_view::npos) return std::nullopt;
      const std::string_view key = trim(entry.substr(0, eq));
      if (key.empty()) return std::nullopt;
      for (const char c : key) {
        if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f || c == '%' || c == '"' || c == ';' || c == '\\') {
          return std::nullopt;
        }
      }
      auto value = percent_decode(trim(entry.substr(eq + 1)));
      if (!value) return std::nullopt;
      out.emplace_back(std::string(key), std::move(*value));
    }
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return out;
}

otel_environment read_otel_environment(const std::function<const char*(const char*)>& lookup) {
  otel_environment env;
  const reader r(lookup);

  if (auto v = r.get("OTEL_SDK_DISABLED")) {
    const std::string b = lower(trim(*v));
    env.sdk_disabled = b == "true";
    if (b != "true" && b != "false") report("OTEL_SDK_DISABLED", *v, "not true or false", "false");
  }

  if (auto v = r.get("OTEL_RESOURCE_ATTRIBUTES")) {
    if (auto kv = parse_otel_key_values(*v)) {
      for (auto& [k, val] : *kv) env.resource_attributes.push_back({std::move(k), std::move(val)});
    } else {
      report("OTEL_RESOURCE_ATTRIBUTES", *v, "not a list of key=value with percent-encoded values",
             "no attributes from it");
    }
  }
  for (const attribute& a : env.resource_attributes) {
    if (a.key == "service.name") env.service_name = std::get<std::string>(a.value);
  }
  if (auto v = r.get("OTEL_SERVICE_NAME")) env.service_name.assign(*v);

  if (auto v = r.get("OTEL_TRACES_EXPORTER")) {
    std::vector<otel_exporter_kind> chosen;
    bool none = false, valid = false;
    for (const std::string& item : list(*v)) {
      if (item == "otlp") {
        chosen.push_back(otel_exporter_kind::otlp);
        valid = true;
      } else if (item == "console" || item == "logging") {
        chosen.push_back(otel_exporter_kind::console);
        valid = true;
      } else if (item == "none") {
        none = valid = true;
      } else {
        report("OTEL_TRACES_EXPORTER", *v, "unsupported exporter '" + item + "' (otlp, console, none)", "the others");
      }
    }
    if (none) chosen.clear();
    if (valid) env.exporters = std::move(chosen);
  }

  const char* name = nullptr;
  if (auto v = r.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")) {
    if (parse_http_url(*v)) {
      env.otlp.endpoint.assign(*v);
    } else {
      report("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", *v, "not an http(s) URL", env.otlp.endpoint);
    }
  } else if (auto base = r.get("OTEL_EXPORTER_OTLP_ENDPOINT")) {
    if (parse_http_url(*base)) {
      // The signal path is appended to the base URL's path (the specification's rule).
      std::string url(*base);
      if (const std::size_t q = url.find_first_of("?#"); q != std::string::npos) url.resize(q);
      if (url.empty() || url.back() != '/') url.push_back('/');
      env.otlp.endpoint = url + "v1/traces";
    } else {
      report("OTEL_EXPORTER_OTLP_ENDPOINT", *base, "not an http(s) URL", env.otlp.endpoint);
    }
  }

  if (auto v = r.get_signal("OTEL_EXPORTER_OTLP_TRACES_PROTOCOL", "OTEL_EXPORTER_OTLP_PROTOCOL", name)) {
    const std::string p = lower(trim(*v));
    if (p == "http/protobuf") {
      env.otlp.protocol = otlp_protocol::http_protobuf;
    } else if (p == "http/json") {
      env.otlp.protocol = otlp_protocol::http_json;
    } else {
      report(name, *v, p == "grpc" ? "grpc is not supported" : "not http/protobuf or http/json", "http/protobuf");
    }
  }

  if (auto v = r.get_signal("OTEL_EXPORTER_OTLP_TRACES_HEADERS", "OTEL_EXPORTER_OTLP_HEADERS", name)) {
    if (auto kv = parse_otel_key_values(*v)) {
      bool ok = true;
      for (const auto& [k, val] : *kv) {
        for (const char c : val) ok = ok && !(static_cast<unsigned char>(c) < 0x20 && c != '\t') && c != 0x7f;
      }
      if (ok) {
        env.otlp.headers = std::move(*kv);
      } else {
        report(name, "(not shown: it may hold credentials)", "a header value with control characters", "no headers");
      }
    } else {
      // The value may hold credentials: do not echo it.
      report(name, "(not shown: it may hold credentials)", "not a list of key=value with percent-encoded values",
             "no headers");
    }
  }

  if (auto v = r.get_signal("OTEL_EXPORTER_OTLP_TRACES_TIMEOUT", "OTEL_EXPORTER_OTLP_TIMEOUT", name)) {
    if (auto n = non_negative_integer<std::int64_t>(*v)) {
      env.otlp.timeout = std::chrono::milliseconds(*n);
    } else {
      report(name, *v, "not a number of milliseconds", "10000");
    }
  }

  if (auto v = r.get("OTEL_TRACES_SAMPLER")) {
    const std::string s = lower(trim(*v));
    if (s == "always_on") {
      env.sampler = otel_sampler_kind::always_on;
    } else if (s == "always_off") {
      env.sampler = otel_sampler_kind::always_off;
    } else if (s == "traceidratio") {
      env.sampler = otel_sampler_kind::trace_id_ratio;
    } else if (s == "parentbased_always_on") {
      env.sampler = otel_sampler_kind::parent_based_always_on;
    } else if (s == "parentbased_always_off") {
      env.sampler = otel_sampler_kind::parent_based_always_off;
    } else if (s == "parentbased_traceidratio") {
      env.sampler = otel_sampler_kind::parent_based_trace_id_ratio;
    } else {
      report("OTEL_TRACES_SAMPLER", *v, "unsupported sampler", "parentbased_always_on");
    }
  }
  if (auto v = r.get("OTEL_TRACES_SAMPLER_ARG")) {
    if (env.sampler == otel_sampler_kind::trace_id_ratio ||
        env.sampler == otel_sampler_kind::parent_based_trace_id_ratio) {
      const std::string_view t = trim(*v);
      double ratio = -1;
      const auto res = std::from_chars(t.data(), t.data() + t.size(), ratio);
      if (!t.empty() && res.ec == std::errc() && res.ptr == t.data() + t.size() && ratio >= 0.0 && ratio <= 1.0) {
        env.sampler_ratio = ratio;
      } else {
        report("OTEL_TRACES_SAMPLER_ARG", *v, "not a ratio in [0, 1]", "1.0");
      }
    }
  }

  read_milliseconds(r, "OTEL_BSP_SCHEDULE_DELAY", env.batch.schedule_delay);
  read_milliseconds(r, "OTEL_BSP_EXPORT_TIMEOUT", env.batch.export_timeout);
  read_size(r, "OTEL_BSP_MAX_QUEUE_SIZE", env.batch.max_queue_size);
  read_size(r, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", env.batch.max_export_batch_size);
  if (env.batch.max_export_batch_size > env.batch.max_queue_size) {
    report("OTEL_BSP_MAX_EXPORT_BATCH_SIZE", std::to_string(env.batch.max_export_batch_size),
           "larger than OTEL_BSP_MAX_QUEUE_SIZE", std::to_string(env.batch.max_queue_size));
    env.batch.max_export_batch_size = env.batch.max_queue_size;
  }

  if (auto v = r.get("OTEL_PROPAGATORS")) {
    unsigned formats = 0;
    bool valid = false;
    for (const std::string& item : list(*v)) {
      if (item == "tracecontext") {
        formats |= trace_context_format;
        valid = true;
      } else if (item == "baggage") {
        formats |= baggage_format;
        valid = true;
      } else if (item == "none") {
        valid = true;
      } else {
        report("OTEL_PROPAGATORS", *v, "unsupported propagator '" + item + "' (tracecontext, baggage, none)",
               "the others");
      }
    }
    if (valid) env.propagation_formats = formats;
  }
  return env;
}

resource make_otel_resource(const otel_environment& env) {
  resource res = default_resource();
  auto put = [&res](const std::string& key, attribute_value value) {
    for (attribute& a : res.attributes) {
      if (a.key == key) {
        a.value = std::move(value);
        return;
      }
    }
    res.attributes.push_back({key, std::move(value)});
  };
  for (const attribute& a : env.resource_attributes) put(a.key, a.value);
  if (!env.service_name.empty()) put("service.name", env.service_name);
  return res;
}

std::shared_ptr<const sampler> make_otel_sampler(const otel_environment& env) {
  switch (env.sampler) {
    case otel_sampler_kind::always_on:
      return always_on_sampler();
    case otel_sampler_kind::always_off:
      return always_off_sampler();
    case otel_sampler_kind::trace_id_ratio:
      return trace_id_ratio_sampler(env.sampler_ratio);
    case otel_sampler_kind::parent_based_always_off:
      return parent_based_sampler(always_off_sampler());
    case otel_sampler_kind::parent_based_trace_id_ratio:
      return parent_based_sampler(trace_id_ratio_sampler(env.sampler_ratio));
    case otel_sampler_kind::parent_based_always_on:
      break;
  }
  return parent_based_sampler(always_on_sampler());
}

otel_tracing make_tracing(const otel_environment& env, std::ostream& console,
                          std::vector<std::shared_ptr<span_processor>> extra) {
  otel_tracing out;
  out.propagation_formats = env.propagation_formats;
  tracer_provider_options options;
  options.res = make_otel_resource(env);
  options.span_sampler = env.sdk_disabled ? always_off_sampler() : make_otel_sampler(env);
  if (!env.sdk_disabled) {
    for (const otel_exporter_kind kind : env.exporters) {
      std::shared_ptr<span_exporter> exporter;
      if (kind == otel_exporter_kind::console) {
        exporter = std::make_shared<json_lines_exporter>(console);
      } else {
        try {
          exporter = std::make_shared<otlp_http_exporter>(env.otlp);
        } catch (const std::invalid_argument& e) {
          asyncctx::detail::report_error(error_kind::configuration,
                                         std::string(e.what()) + "; the OTLP exporter is left out", nullptr);
          continue;
        }
      }
      out.exporters.push_back(exporter);
      options.processors.push_back(std::make_shared<batch_span_processor>(exporter, env.batch));
    }
    for (auto& p : extra) options.processors.push_back(std::move(p));
  }
  out.provider = std::make_shared<tracer_provider>(std::move(options));
  return out;
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
