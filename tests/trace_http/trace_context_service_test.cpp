// examples/trace_context_service end to end, as a separate process on 127.0.0.1: the W3C
// harness contract (POST /test → a POST from a new CLIENT span per item), propagation through
// it with our own server as the callee, malformed headers (a new trace, 200), OTLP/HTTP JSON
// export of the whole tree to a real HTTP back end, /flush, and SIGTERM.
#include <boost/asio/connect.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "asio/http_test_support.hpp"
#include "test_backend.hpp"
#include <nlohmann/json.hpp>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

extern char** environ;

namespace {

using asyncctx_test::test_backend;
namespace http = boost::beast::http;
using json = nlohmann::json;

constexpr const char* incoming_trace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr const char* incoming_parent = "00f067aa0ba902b7";

// The service as a child process; killed (SIGKILL) if the test did not stop it.
class service_process {
 public:
  explicit service_process(const std::map<std::string, std::string>& otel_env) {
    std::vector<std::string> env;
    for (char** e = environ; *e != nullptr; ++e) {
      if (std::strncmp(*e, "OTEL_", 5) != 0) env.emplace_back(*e);
    }
    for (const auto& [k, v] : otel_env) env.push_back(k + "=" + v);
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe");
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&actions, fds[0]);
    std::string path = ASYNCCTX_TRACE_CONTEXT_SERVICE, flag = "--port", zero = "0";
    char* argv[] = {path.data(), flag.data(), zero.data(), nullptr};
    const int rc = posix_spawn(&pid_, path.c_str(), &actions, nullptr, argv, envp.data());
    posix_spawn_file_actions_destroy(&actions);
    close(fds[1]);
    if (rc != 0) {
      close(fds[0]);
      throw std::runtime_error("cannot start " + path);
    }
    out_ = fdopen(fds[0], "r");
    char line[256] = {};
    if (out_ == nullptr || std::fgets(line, sizeof line, out_) == nullptr) throw std::runtime_error("no output");
    first_line_ = line;
    unsigned port = 0;
    if (std::sscanf(line, "listening on 127.0.0.1:%u\n", &port) != 1)
      throw std::runtime_error("bad line: " + first_line_);
    port_ = static_cast<std::uint16_t>(port);
  }
  service_process(const service_process&) = delete;
  service_process& operator=(const service_process&) = delete;
  ~service_process() {
    if (pid_ > 0) {
      kill(pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
    }
    if (out_ != nullptr) std::fclose(out_);
  }

  std::uint16_t port() const { return port_; }
  const std::string& first_line() const { return first_line_; }

  // Sends SIGTERM; the exit status when it exits within `within`, else nullopt.
  std::optional<int> terminate(std::chrono::milliseconds within) {
    kill(pid_, SIGTERM);
    const auto deadline = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return std::nullopt;
  }
  // Everything else the service printed on stdout (after the first line), once it has exited.
  std::string rest_of_stdout() {
    std::string rest;
    char buf[256];
    while (std::fgets(buf, sizeof buf, out_) != nullptr) rest += buf;
    return rest;
  }

 private:
  pid_t pid_ = -1;
  FILE* out_ = nullptr;
  std::uint16_t port_ = 0;
  std::string first_line_;
};

asyncctx_test::http_response post(std::uint16_t port, const std::string& target, std::string body,
                                  const std::vector<std::pair<std::string, std::string>>& headers = {}) {
  asyncctx_test::test_client client({boost::asio::ip::make_address("127.0.0.1"), port});
  asyncctx_test::http_request req{http::verb::post, target, 11};
  req.set(http::field::host, "127.0.0.1");
  req.set(http::field::content_type, "application/json");
  for (const auto& [k, v] : headers) req.insert(k, v);
  req.body() = std::move(body);
  return client.request(std::move(req));
}

// Every span of every OTLP/JSON request the back end received.
std::vector<json> exported_spans(const test_backend& backend, std::string* service_name = nullptr) {
  std::vector<json> spans;
  for (const auto& req : backend.requests()) {
    const json doc = json::parse(req.body());
    for (const json& rs : doc.at("resourceSpans")) {
      for (const json& a : rs.at("resource").at("attributes")) {
        if (a.at("key") == "service.name" && service_name != nullptr) *service_name = a.at("value").at("stringValue");
      }
      for (const json& ss : rs.at("scopeSpans")) {
        for (const json& s : ss.at("spans")) spans.push_back(s);
      }
    }
  }
  return spans;
}

struct fixture {
  test_backend collector{[](const auto&) { return test_backend::answer(200, "{}", "application/json"); }};
  test_backend peer{[](const auto&) { return test_backend::answer(200, "peer ok", "text/plain"); }};
  service_process service{{{"OTEL_SERVICE_NAME", "tcs-test"},
                           {"OTEL_TRACES_EXPORTER", "otlp"},
                           {"OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:" + std::to_string(collector.port())},
                           {"OTEL_EXPORTER_OTLP_PROTOCOL", "http/json"},
                           {"OTEL_BSP_SCHEDULE_DELAY", "100"}}};

  std::string items(int n) {
    json arr = json::array();
    for (int i = 0; i < n; ++i)
      arr.push_back({{"url", peer.url("/callee/" + std::to_string(i))}, {"arguments", {i, "x"}}});
    return arr.dump();
  }
};

TEST(TraceContextService, PrintsExactlyTheListeningLine) {
  fixture f;
  EXPECT_EQ(f.service.first_line(), "listening on 127.0.0.1:" + std::to_string(f.service.port()) + "\n");
  ASSERT_EQ(f.service.terminate(std::chrono::seconds(10)), 0);
  EXPECT_EQ(f.service.rest_of_stdout(), "");
}

TEST(TraceContextService, PropagatesTheIncomingTraceThroughANewClientSpanPerCall) {
  fixture f;
  const auto res = post(f.service.port(), "/test", f.items(2),
                        {{"traceparent", std::string("00-") + incoming_trace + "-" + incoming_parent + "-01"},
                         {"tracestate", "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7"},
                         {"baggage", "user=alice,tenant=t%201;ttl=5"}});
  EXPECT_EQ(res.result(), http::status::ok);
  const auto calls = f.peer.requests();
  ASSERT_EQ(calls.size(), 2u);
  std::set<std::string> client_ids;
  for (std::size_t i = 0; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].target(), "/callee/" + std::to_string(i));
    EXPECT_EQ(json::parse(calls[i].body()), json::parse(R"([)" + std::to_string(i) + R"(,"x"])"));
    const std::string tp(calls[i]["traceparent"]);
    ASSERT_EQ(tp.size(), 55u) << tp;
    EXPECT_EQ(tp.substr(0, 36), std::string("00-") + incoming_trace + "-");
    EXPECT_NE(tp.substr(36, 16), incoming_parent);
    EXPECT_EQ(tp.substr(53), "01");
    client_ids.insert(tp.substr(36, 16));
    EXPECT_EQ(calls[i]["tracestate"], "congo=t61rcWkgMzE,rojo=00f067aa0ba902b7");
    const std::string bag(calls[i]["baggage"]);
    EXPECT_NE(bag.find("user=alice"), std::string::npos) << bag;
    EXPECT_NE(bag.find("tenant=t%201;ttl=5"), std::string::npos) << bag;
  }
  EXPECT_EQ(client_ids.size(), 2u) << "each outbound call has its own parent id";

  // The whole tree, exported over OTLP/HTTP JSON after /flush.
  EXPECT_EQ(post(f.service.port(), "/flush", "").result(), http::status::ok);
  std::string service_name;
  const auto spans = exported_spans(f.collector, &service_name);
  EXPECT_EQ(service_name, "tcs-test");
  const json* server = nullptr;
  std::vector<const json*> clients;
  for (const json& s : spans) {
    if (s.at("kind") == 2 && s.at("name") == "POST /test") server = &s;
    if (s.at("kind") == 3) clients.push_back(&s);
  }
  ASSERT_NE(server, nullptr) << json(spans).dump();
  EXPECT_EQ(server->at("traceId"), incoming_trace);
  EXPECT_EQ(server->at("parentSpanId"), incoming_parent);
  ASSERT_EQ(clients.size(), 2u);
  for (const json* c : clients) {
    EXPECT_EQ(c->at("traceId"), incoming_trace);
    EXPECT_EQ(c->at("parentSpanId"), server->at("spanId"));
    EXPECT_EQ(client_ids.count(c->at("spanId").get<std::string>()), 1u) << "the callee's parent is our CLIENT span";
  }
  ASSERT_EQ(f.service.terminate(std::chrono::seconds(10)), 0);
}

TEST(TraceContextService, MalformedHeadersStartANewTraceAndStillAnswer200) {
  fixture f;
  for (const std::string& bad : {"00-" + std::string(incoming_trace) + "-" + incoming_parent + "-0g", std::string("zz"),
                                 "00-" + std::string(32, '0') + "-" + incoming_parent + "-01"}) {
    const auto res = post(f.service.port(), "/test", f.items(1), {{"traceparent", bad}, {"tracestate", "=,=,="}});
    EXPECT_EQ(res.result(), http::status::ok) << bad;
  }
  const auto calls = f.peer.requests();
  ASSERT_EQ(calls.size(), 3u);
  std::set<std::string> traces;
  for (const auto& c : calls) {
    const std::string tp(c["traceparent"]);
    ASSERT_EQ(tp.size(), 55u);
    EXPECT_NE(tp.substr(3, 32), incoming_trace);
    traces.insert(tp.substr(3, 32));
    EXPECT_EQ(c["tracestate"], "");
  }
  EXPECT_EQ(traces.size(), 3u) << "each request starts its own trace";
  ASSERT_EQ(f.service.terminate(std::chrono::seconds(10)), 0);
}

TEST(TraceContextService, ABodyThatIsNotTheHarnessArrayIsABadRequestAndTheServiceGoesOn) {
  fixture f;
  for (const char* bad : {"{}", "[{\"url\": 5}]", "not json", "[{\"url\": \"ftp://x/\"}]"}) {
    EXPECT_EQ(post(f.service.port(), "/test", bad).result(), http::status::bad_request) << bad;
  }
  EXPECT_EQ(post(f.service.port(), "/test", "[]").result(), http::status::ok);
  ASSERT_EQ(f.service.terminate(std::chrono::seconds(10)), 0);
}

TEST(TraceContextService, SigtermFlushesTheSpansBeforeExiting) {
  fixture f;
  EXPECT_EQ(post(f.service.port(), "/test", f.items(1)).result(), http::status::ok);
  ASSERT_EQ(f.service.terminate(std::chrono::seconds(10)), 0);
  EXPECT_EQ(exported_spans(f.collector).size(), 2u);  // SERVER + CLIENT, no /flush needed
}

}  // namespace
