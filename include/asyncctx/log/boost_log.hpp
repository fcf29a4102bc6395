// asyncctx::log for Boost.Log (target asyncctx::log_boost): an attribute whose value is the
// log fields in force where a record is opened, and formatters that write them.
//
//   log::boost_log::add_fields_attribute();   // a global attribute named attribute_name
//   sink->set_formatter(log::boost_log::line_formatter(log::line_format::json));
//
// Boost.Log acquires attribute values when it opens a record (the core freezes the record's
// attribute values on the thread that opens it), so the fields are captured there, in the
// context of the code that logs: the same providers, context fields (log::with) and mixin as
// the spdlog calls, and the wall-clock time. The value owns what it captured, so
// asynchronous_sink, which formats on its own thread, writes exactly that. Boost.Log's severity
// is not known when attributes are acquired: the mixin is called with level::info.
//
// line_formatter writes the whole line (line_format.hpp): time from the captured value, level
// from a "Severity" attribute of type boost::log::trivial::severity_level or log::level (else
// "info"), logger from a std::string "Channel" attribute (else empty), msg from the record's
// message. fields_formatter writes only the fields (JSON members or logfmt pairs), to combine
// with Boost.Log's own formatting.
// Thread-safety: the attribute and the formatters are stateless: any thread may use them.
#pragma once

#include <asyncctx/detail/config.hpp>
#include <asyncctx/log/field_provider.hpp>
#include <asyncctx/log/level.hpp>
#include <asyncctx/log/line_format.hpp>
#include <asyncctx/log/record.hpp>

#include <boost/log/attributes/attribute.hpp>
#include <boost/log/attributes/attribute_cast.hpp>
#include <boost/log/attributes/attribute_value_impl.hpp>
#include <boost/log/core/core.hpp>
#include <boost/log/core/record_view.hpp>
#include <boost/log/expressions/message.hpp>
#include <boost/log/trivial.hpp>
#include <boost/log/utility/formatting_ostream.hpp>

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace log {
namespace boost_log {

// The name under which add_fields_attribute registers the attribute.
inline constexpr const char* attribute_name = "asyncctx.fields";

// What the attribute captured for one record: the encoded fields (record.hpp) and the time.
// Immutable once made.
class captured_fields {
 public:
  captured_fields(std::string encoded, std::chrono::system_clock::time_point time)
      : encoded_(std::move(encoded)), time_(time) {}
  std::string_view encoded() const noexcept { return encoded_; }
  std::chrono::system_clock::time_point time() const noexcept { return time_; }

 private:
  std::string encoded_;
  std::chrono::system_clock::time_point time_;
};

// The attribute: each acquisition captures the fields of the current context.
class fields_attribute : public boost::log::attribute {
  class impl final : public boost::log::attribute::impl {
   public:
    boost::log::attribute_value get_value() override {
      record_buffer buf;
      detail::capture_bare_fields(buf, level::info);
      return boost::log::attributes::make_attribute_value(
          captured_fields(std::string(buf.data(), buf.size()), std::chrono::system_clock::now()));
    }
  };

 public:
  fields_attribute() : boost::log::attribute(new impl()) {}
  explicit fields_attribute(const boost::log::attributes::cast_source& source)
      : boost::log::attribute(source.as<impl>()) {}
};

namespace detail {

inline level severity_of(const boost::log::record_view& rec) {
  const auto& values = rec.attribute_values();
  const auto it = values.find("Severity");
  if (it == values.end()) return level::info;
  if (auto v = it->second.extract<boost::log::trivial::severity_level>()) {
    using boost::log::trivial::severity_level;
    switch (*v) {
      case severity_level::trace:
        return level::trace;
      case severity_level::debug:
        return level::debug;
      case severity_level::info:
        return level::info;
      case severity_level::warning:
        return level::warn;
      case severity_level::error:
        return level::error;
      case severity_level::fatal:
        return level::critical;
    }
  }
  if (auto v = it->second.extract<level>()) return *v;
  return level::info;
}

// Decodes the record's captured fields into `out`; returns the captured time (now when the
// record has no captured value).
inline std::chrono::system_clock::time_point decode(const boost::log::record_view& rec, record_view& out) {
  const auto& values = rec.attribute_values();
  const auto it = values.find(attribute_name);
  if (it != values.end()) {
    if (auto v = it->second.extract<captured_fields>()) {
      out.decode_fields(v->encoded());
      return v->time();
    }
  }
  out.decode_fields({});
  return std::chrono::system_clock::now();
}

}  // namespace detail

// A Boost.Log formatter (sink->set_formatter) writing whole lines in `format`, without the
// trailing '\n' (Boost.Log's text backends end each record themselves).
class line_formatter {
 public:
  explicit line_formatter(line_format format) noexcept : format_(format) {}

  void operator()(const boost::log::record_view& rec, boost::log::formatting_ostream& strm) const {
    record_view fields;
    const auto time = detail::decode(rec, fields);
    std::string_view message;
    const auto msg = rec[boost::log::expressions::smessage];
    if (msg) message = msg.get();
    std::string channel;
    const auto& values = rec.attribute_values();
    const auto ch = values.find("Channel");
    if (ch != values.end()) {
      if (auto v = ch->second.extract<std::string>()) channel = *v;
    }
    fmt::memory_buffer out;
    write_line(format_, out, time, detail::severity_of(rec), channel, message, fields);
    out.resize(out.size() - 1);  // the '\n'
    strm.write(out.data(), static_cast<std::streamsize>(out.size()));
  }

 private:
  line_format format_;
};

// A Boost.Log formatter writing only the fields: `,"key":value` members (json) or
// `key=value key=value` (text).
class fields_formatter {
 public:
  explicit fields_formatter(line_format format) noexcept : format_(format) {}

  void operator()(const boost::log::record_view& rec, boost::log::formatting_ostream& strm) const {
    record_view fields;
    detail::decode(rec, fields);
    fmt::memory_buffer out;
    if (format_ == line_format::json) {
      write_json_fields(out, fields);
    } else {
      write_text_fields(out, fields);
    }
    strm.write(out.data(), static_cast<std::streamsize>(out.size()));
  }

 private:
  line_format format_;
};

// Registers fields_attribute as a global attribute named attribute_name.
inline void add_fields_attribute() {
  boost::log::core::get()->add_global_attribute(attribute_name, fields_attribute());
}

}  // namespace boost_log
}  // namespace log
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
