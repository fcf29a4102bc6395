#include <asyncctx/detail/error_channel.hpp>
#include <asyncctx/trace/http_url.hpp>
#include <asyncctx/trace/otlp_http_exporter.hpp>
#include <asyncctx/trace/suppress.hpp>
#include <asyncctx/version.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <random>
#include <stdexcept>

#include "http_connection.hpp"

namespace asyncctx {
inline namespace ASYNCCTX_ABI_NAMESPACE {
namespace trace {
namespace {

namespace http = boost::beast::http;
using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool valid_header_name(std::string_view name) {
  if (name.empty()) return false;
  for (const char c : name) {
    // RFC 9110 token characters.
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
    if (!ok) return false;
  }
  return true;
}

bool valid_header_value(std::string_view value) {
  for (const char c : value) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7f) return false;
  }
  return true;
}

// The outcome of one HTTP attempt, shared with the completion handler (which may outlive the
// export call when shutdown stops the io_context under it).
struct attempt_result {
  bool done = false;
  boost::beast::error_code error;
  http::response<http::string_body> response;
};

}  // namespace

struct otlp_http_exporter::state {
  explicit state(const otlp_http_exporter_options& options, http_url u)
      : url(std::move(u)),
        connection(std::make_shared<wire::http_connection>(ioc.get_executor(), url.host, url.port,
                                                           wire::http_limits{options.max_response_bytes, 16 * 1024})),
        timer(ioc),
        random(std::random_device{}()) {}

  boost::asio::io_context ioc;  // run only by the exporting thread, inside export_spans
  http_url url;
  std::shared_ptr<wire::http_connection> connection;
  boost::asio::steady_timer timer;  // the wait between attempts
  std::minstd_rand random;          // jitter; used by the exporting thread only

  std::atomic<bool> shut_down{false};
  std::mutex mutex;  // guards busy
  std::condition_variable idle;
  bool busy = false;

  std::atomic<std::uint64_t> exported{0}, rejected{0}, lost{0}, failed{0}, requests{0}, retries{0};

  // Runs the io_context until the posted work is done or shutdown stops it (shutdown sets the
  // flag before it calls stop(), so a stop that comes before restart() is seen here).
  void run() {
    ioc.restart();
    if (shut_down.load()) return;
    ioc.run();
  }
};

otlp_http_exporter::otlp_http_exporter(otlp_http_exporter_options options) : options_(std::move(options)) {
  auto url = parse_http_url(options_.endpoint);
  if (!url) throw std::invalid_argument("otlp_http_exporter: the endpoint is not an http URL: " + options_.endpoint);
  if (url->scheme != "http") {
    throw std::invalid_argument("otlp_http_exporter: " + url->scheme +
                                " endpoints need TLS, which asyncctx does not have: " + options_.endpoint);
  }
  for (const auto& [name, value] : options_.headers) {
    if (!valid_header_name(name) || !valid_header_value(value)) {
      throw std::invalid_argument("otlp_http_exporter: not a valid HTTP header: " + name);
    }
  }
  state_ = std::make_unique<state>(options_, std::move(*url));
}

otlp_http_exporter::~otlp_http_exporter() { shutdown(milliseconds(0)); }

span_exporter::result otlp_http_exporter::export_spans(std::span<const span_data> batch) {
  state& st = *state_;
  if (batch.empty()) return result::success;
  {
    std::lock_guard lock(st.mutex);
    if (st.shut_down.load()) {
      st.lost += batch.size();
      return result::failure;
    }
    st.busy = true;
  }
  struct idle_on_exit {
    state& st;
    ~idle_on_exit() {
      {
        std::lock_guard lock(st.mutex);
        st.busy = false;
      }
      st.idle.notify_all();
    }
  } idle_guard{st};

  // Nothing below may start a span: an instrumented HTTP client would trace the exporter.
  return suppress([&] {
    const auto deadline = clock::now() + options_.timeout;
    std::string why;
    try {
      http::request<http::string_body> req{http::verb::post, st.url.target, 11};
      req.set(http::field::host, st.url.host_header());
      req.set(http::field::content_type, otlp_content_type(options_.protocol));
      req.set(http::field::user_agent, "OTel-OTLP-Exporter-Cpp-asyncctx/" ASYNCCTX_VERSION_STRING);
      for (const auto& [name, value] : options_.headers) req.set(name, value);
      req.body() = encode_otlp_request(batch, options_.protocol);

      for (int attempt = 1;; ++attempt) {
        ++st.requests;
        auto outcome = std::make_shared<attempt_result>();
        boost::asio::post(st.ioc, [&st, &req, deadline, outcome] {
          st.connection->exchange(req, deadline, [outcome](boost::beast::error_code ec, auto res) {
            outcome->done = true;
            outcome->error = ec;
            outcome->response = std::move(res);
          });
        });
        st.run();
        if (!outcome->done) {
          why = "the exporter was shut down during the export";
          break;
        }
        std::optional<milliseconds> retry_after;
        if (!outcome->error) {
          const unsigned status = outcome->response.result_int();
          const std::string& body = outcome->response.body();
          if (status >= 200 && status < 300) {
            const auto partial = decode_otlp_response(body, options_.protocol);
            if (!partial) {
              st.exported += batch.size();
              asyncctx::detail::report_error(
                  error_kind::trace_export,
                  "OTLP export to " + options_.endpoint +
                      ": the answer is not an ExportTraceServiceResponse; the spans count as delivered",
                  nullptr);
              return result::success;
            }
            const auto rejected = static_cast<std::uint64_t>(
                std::clamp<std::int64_t>(partial->rejected_spans, 0, static_cast<std::int64_t>(batch.size())));
            st.exported += batch.size() - rejected;
            st.rejected += rejected;
            if (rejected != 0 || !partial->error_message.empty()) {
              asyncctx::detail::report_error(error_kind::trace_export,
                                             "OTLP export to " + options_.endpoint + ": partial success, " +
                                                 std::to_string(rejected) + " of " + std::to_string(batch.size()) +
                                                 " spans rejected: " + partial->error_message,
                                             nullptr);
            }
            return result::success;
          }
          why = "HTTP " + std::to_string(status);
          if (const std::string message = decode_otlp_error_message(body, options_.protocol); !message.empty()) {
            why += " (" + message + ")";
          }
          if (!otlp_retryable_status(status)) break;
          if (auto it = outcome->response.find(http::field::retry_after); it != outcome->response.end()) {
            retry_after = parse_retry_after(it->value(), std::chrono::system_clock::now());
          }
        } else {
          why = outcome->error.message();
          if (outcome->error == boost::beast::error::timeout) {
            why = "no answer within the export timeout";
            break;
          }
        }
        if (attempt >= options_.retry.max_attempts) {
          why += "; " + std::to_string(attempt) + " attempts";
          break;
        }
        const milliseconds wait = retry_after ? *retry_after
                                              : otlp_backoff(options_.retry, attempt,
                                                             std::uniform_real_distribution<double>(0, 1)(st.random));
        if (clock::now() + wait >= deadline) {
          why += "; the next attempt (in " + std::to_string(wait.count()) + " ms) would end after the export timeout";
          break;
        }
        ++st.retries;
        st.timer.expires_after(wait);
        st.timer.async_wait([](boost::beast::error_code) {});
        st.run();
        if (st.shut_down.load()) {
          why = "the exporter was shut down during the export";
          break;
        }
      }
    } catch (const std::exception& e) {
      why = e.what();
    }
    st.lost += batch.size();
    ++st.failed;
    asyncctx::detail::report_error(error_kind::trace_export,
                                   "OTLP export to " + options_.endpoint + " failed, " + std::to_string(batch.size()) +
                                       " spans lost (" + std::to_string(st.lost.load()) + " in all): " + why,
                                   nullptr);
    return result::failure;
  });
}

bool otlp_http_exporter::force_flush(milliseconds /*timeout*/) { return true; }

bool otlp_http_exporter::shutdown(milliseconds timeout) {
  state& st = *state_;
  std::unique_lock lock(st.mutex);
  st.shut_down.store(true);
  st.ioc.stop();  // interrupts an export in progress (see state::run)
  return st.idle.wait_for(lock, timeout, [&] { return !st.busy; });
}

otlp_exporter_stats otlp_http_exporter::stats() const noexcept {
  const state& st = *state_;
  return {st.exported.load(), st.rejected.load(), st.lost.load(),
          st.failed.load(),   st.requests.load(), st.retries.load()};
}

}  // namespace trace
}  // namespace ASYNCCTX_ABI_NAMESPACE
}  // namespace asyncctx
