// The providers against the fake-upstream process, over TCP and TLS, for each dialect:
// happy paths, scripted faults, retries, cancellation and connection reuse.
#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/json/parse.hpp>
#include <sstream>
#include <thread>

#include "providers/http_provider.hpp"
#include "providers/registry.hpp"
#include "support/process.hpp"

namespace cp = chatstream::providers;
namespace ct = chatstream::testing;
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKey = "sk-integration-KEY-987654321";

// One fake-upstream process per test suite (plain) and one with TLS.
struct Upstream {
  explicit Upstream(bool tls) : tls_(tls) {
    std::vector<std::string> argv = {
        ct::built_program("tools/fake-upstream/fake-upstream").string(),
        "--listen",
        "127.0.0.1:0",
        "--port-file",
        (dir.path() / "port").string(),
        "--fixtures",
        std::string(CHATSTREAM_SOURCE_DIR) + "/tests/fixtures/upstream"};
    if (tls) {
      argv.insert(argv.end(), {"--tls", "--cert-out", (dir.path() / "cert.pem").string()});
    }
    process = std::make_unique<ct::Process>(argv, dir.path() / "log.txt");
    port = ct::wait_for_port_file(dir.path() / "port", 10s, process.get()).value_or(0);
    cert = (dir.path() / "cert.pem").string();
  }
  ~Upstream() {
    process->signal(SIGTERM);
    if (!process->wait_exit(5s)) process->signal(SIGKILL);
  }
  std::string base(bool tls, const std::string& path) const {
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port) + path;
  }
  // Control endpoints, over TLS too (fetched with our own client, trusting the fake's cert).
  std::string control(const std::string& method, const std::string& path) const {
    asio::io_context io;  // declared first: the client (and its pool) must go before it
    cp::HttpClientConfig cfg;
    cfg.ca_file = tls_ ? cert : "";
    cp::HttpClient client(cfg, nullptr);
    cp::HttpRequest req;
    req.method = method;
    req.url = base(tls_, path);
    std::string body;
    asio::co_spawn(io,
                   client.stream(req, nullptr,
                                 [&body](std::string_view b) {
                                   body += b;
                                   return true;
                                 }),
                   [](std::exception_ptr e, const cp::HttpOutcome&) {
                     if (e) std::rethrow_exception(e);
                   });
    io.run_for(10s);
    return body;
  }
  json::array requests() const { return json::parse(control("GET", "/_fake/requests")).as_array(); }
  void clear() const { control("DELETE", "/_fake/requests"); }

  bool tls_ = false;
  ct::TempDir dir;
  std::unique_ptr<ct::Process> process;
  unsigned short port = 0;
  std::string cert;
};

std::int64_t now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

struct Run {
  std::vector<cp::Event> events;
  std::int64_t cancel_at_ms = 0;  // wall clock when the cancellation was emitted
  std::string text() const {
    std::string s;
    for (const auto& e : events) {
      if (const auto* t = std::get_if<cp::TextDelta>(&e)) s += t->text;
    }
    return s;
  }
  const cp::StreamError* error() const {
    return events.empty() ? nullptr : std::get_if<cp::StreamError>(&events.back());
  }
  const cp::Finish* finish() const {
    return events.empty() ? nullptr : std::get_if<cp::Finish>(&events.back());
  }
};

// One io_context per test: pooled connections belong to the context that opened them.
Run run(asio::io_context& io, cp::Provider& p, const std::string& model,
        std::size_t cancel_after_events = 0) {
  io.restart();
  asio::cancellation_signal signal;
  Run r;
  bool done = false;
  cp::ChatRequest req;
  req.model = model;
  req.messages = {{"user", "Say hello", "", ""}};
  auto sink = [&](cp::Event&& e) {
    r.events.push_back(std::move(e));
    if (cancel_after_events > 0 && r.events.size() == cancel_after_events) {
      asio::post(io, [&] {
        r.cancel_at_ms = now_ms();
        signal.emit(asio::cancellation_type::terminal);
      });
    }
  };
  asio::co_spawn(io, p.stream_chat(req, sink),
                 asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                   done = true;
                 }));
  io.run_for(30s);
  EXPECT_TRUE(done);
  int terminals = 0;
  for (const auto& e : r.events) {
    terminals +=
        std::holds_alternative<cp::Finish>(e) || std::holds_alternative<cp::StreamError>(e) ? 1 : 0;
  }
  EXPECT_EQ(terminals, 1);
  return r;
}

cp::HttpClientConfig client_config(const std::string& ca = {}) {
  cp::HttpClientConfig c;
  c.connect_timeout = 3s;
  c.first_byte_timeout = 5s;
  c.idle_timeout = 5s;
  c.total_timeout = 30s;
  c.ca_file = ca;
  c.retry.base_delay = 10ms;
  c.retry.max_delay = 50ms;
  return c;
}

cp::ProviderConfig provider(const std::string& kind, const std::string& base_url) {
  cp::ProviderConfig pc;
  pc.name = kind;
  pc.kind = kind;
  pc.base_url = base_url;
  pc.api_key.value = kKey;
  pc.models = {"m"};
  pc.default_model = "m";
  return pc;
}

std::string base_path(const std::string& kind) {
  return kind == "openai" ? "/v1" : "";
}

}  // namespace

class Dialects : public ::testing::TestWithParam<std::tuple<std::string, bool>> {
 protected:
  static void SetUpTestSuite() {
    plain_ = new Upstream(false);  // NOLINT
    tls_ = new Upstream(true);     // NOLINT
  }
  static void TearDownTestSuite() {
    delete plain_;
    delete tls_;
  }
  static Upstream* plain_;  // NOLINT
  static Upstream* tls_;    // NOLINT

  std::string kind() const { return std::get<0>(GetParam()); }
  bool tls() const { return std::get<1>(GetParam()); }
  Upstream& up() const { return tls() ? *tls_ : *plain_; }
  std::shared_ptr<cp::HttpClient> client() const {
    return std::make_shared<cp::HttpClient>(client_config(tls() ? up().cert : ""), nullptr);
  }
  cp::HttpProvider make(std::shared_ptr<cp::HttpClient> c) const {
    return cp::HttpProvider(provider(kind(), up().base(tls(), base_path(kind()))), std::move(c));
  }
};
Upstream* Dialects::plain_ = nullptr;  // NOLINT
Upstream* Dialects::tls_ = nullptr;    // NOLINT

TEST_P(Dialects, StreamsAndReusesTheConnection) {
  asio::io_context io;
  ASSERT_NE(up().port, 0);
  up().clear();
  auto c = client();
  auto p = make(c);
  for (int i = 0; i < 2; ++i) {
    const auto r = run(io, p, "fake:tokens=12");
    ASSERT_NE(r.finish(), nullptr) << (r.error() ? r.error()->message : "");
    EXPECT_FALSE(r.text().empty());
  }
  const auto reqs = up().requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].at("connection_id"), reqs[1].at("connection_id"));
  EXPECT_EQ(reqs[1].at("seq_on_connection").as_int64(), 2);
  EXPECT_EQ(c->stats().connections_opened, 1U);
  EXPECT_EQ(c->stats().tls_handshakes, tls() ? 1U : 0U);
}

TEST_P(Dialects, ServerErrorIsRetriedUntilSuccess) {
  asio::io_context io;
  up().clear();
  auto p = make(client());
  const auto key = "retry-" + kind() + (tls() ? "-tls" : "");
  const auto r = run(io, p, "fake:status=503,fail_first=2,key=" + key);
  ASSERT_NE(r.finish(), nullptr) << (r.error() ? r.error()->message : "");
  EXPECT_EQ(up().requests().size(), 3U);
}

TEST_P(Dialects, ResetAfterTokensIsNotRetried) {
  asio::io_context io;
  up().clear();
  auto p = make(client());
  const auto r = run(io, p, "fake:tokens=20,reset_after=3");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::truncated);
  EXPECT_FALSE(r.text().empty());
  EXPECT_EQ(up().requests().size(), 1U);
}

TEST_P(Dialects, CleanCloseWithoutMarkerIsTruncated) {
  asio::io_context io;
  auto p = make(client());
  const auto r = run(io, p, "fake:tokens=20,close_after=3");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::truncated);
}

TEST_P(Dialects, UnterminatedBodyIsTruncated) {
  asio::io_context io;
  auto p = make(client());
  const auto r = run(io, p, "fake:tokens=20,eof_after=4");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::truncated);
}

TEST_P(Dialects, MalformedChunkIsAProtocolError) {
  asio::io_context io;
  auto p = make(client());
  const auto r = run(io, p, "fake:tokens=20,malformed_after=3");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::protocol);
}

TEST_P(Dialects, ClientErrorIsNotRetried) {
  asio::io_context io;
  up().clear();
  auto p = make(client());
  const auto r = run(io, p, "fake:status=400");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::http_status);
  EXPECT_EQ(r.error()->http_status, 400);
  EXPECT_FALSE(r.error()->retryable);
  EXPECT_EQ(up().requests().size(), 1U);
}

TEST_P(Dialects, SlowHeadersHitFirstByteTimeout) {
  asio::io_context io;
  auto cfg = client_config(tls() ? up().cert : "");
  cfg.first_byte_timeout = 200ms;
  cp::HttpProvider p(provider(kind(), up().base(tls(), base_path(kind()))),
                     std::make_shared<cp::HttpClient>(cfg, nullptr));
  const auto r = run(io, p, "fake:header_delay_ms=3000");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::timeout);
  EXPECT_EQ(r.error()->code, "first_byte_timeout");
}

TEST_P(Dialects, StallHitsIdleTimeout) {
  asio::io_context io;
  auto cfg = client_config(tls() ? up().cert : "");
  cfg.idle_timeout = 300ms;
  cp::HttpProvider p(provider(kind(), up().base(tls(), base_path(kind()))),
                     std::make_shared<cp::HttpClient>(cfg, nullptr));
  const auto r = run(io, p, "fake:tokens=20,stall_after=2");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::timeout);
  EXPECT_EQ(r.error()->code, "idle_timeout");
}

TEST_P(Dialects, CancelClosesTheUpstreamConnection) {
  asio::io_context io;
  up().clear();
  auto p = make(client());
  const auto r = run(io, p, "fake:tokens=200,delay_ms=20", 2);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::cancelled);
  json::array reqs;
  for (int i = 0; i < 100; ++i) {  // bounded wait for the fake to record the disconnect
    reqs = up().requests();
    if (!reqs.empty() && reqs.back().at("outcome").as_string() == "client_disconnected") break;
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_FALSE(reqs.empty());
  EXPECT_EQ(reqs.back().at("outcome").as_string(), "client_disconnected");
  // The requirement: the fake observes the close within 100 ms of the cancel
  // (both clocks are this machine's wall clock).
  ASSERT_GT(r.cancel_at_ms, 0);
  EXPECT_LE(reqs.back().at("disconnect_at_ms").to_number<double>(),
            static_cast<double>(r.cancel_at_ms + 100));
  EXPECT_LT(reqs.back().at("tokens_sent").to_number<double>(), 200.0);
}

INSTANTIATE_TEST_SUITE_P(All, Dialects,
                         ::testing::Combine(::testing::Values("openai", "anthropic", "ollama"),
                                            ::testing::Bool()),
                         [](const auto& info) {
                           return std::get<0>(info.param) +
                                  (std::get<1>(info.param) ? "_tls" : "_tcp");
                         });

TEST(FakeUpstreamTls, SelfSignedCertificateIsRefusedWithoutCaFile) {
  asio::io_context io;
  Upstream up(true);
  ASSERT_NE(up.port, 0);
  cp::HttpProvider p(provider("openai", up.base(true, "/v1")),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p, "fake:tokens=3");
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::connect);
  EXPECT_TRUE(up.requests().empty());
}

TEST(FakeUpstreamKeys, KeysNeverReachLogsOrErrors) {
  asio::io_context io;
  Upstream up(false);
  std::ostringstream logs;
  auto logger =
      std::make_shared<spdlog::logger>("t", std::make_shared<spdlog::sinks::ostream_sink_mt>(logs));
  logger->set_level(spdlog::level::trace);
  cp::Registry reg({provider("openai", up.base(false, "/v1"))}, client_config(), logger);
  auto resolved = reg.resolve("openai/fake:status=401");
  ASSERT_TRUE(resolved);
  const auto bad = run(io, *resolved->provider, resolved->model);
  ASSERT_NE(bad.error(), nullptr);
  EXPECT_EQ(bad.error()->message.find(kKey), std::string::npos);
  const auto good = run(io, *resolved->provider, "fake:tokens=5");
  EXPECT_NE(good.finish(), nullptr);
  const auto reqs = up.requests();
  ASSERT_FALSE(reqs.empty());
  logger->flush();
  EXPECT_FALSE(logs.str().empty());
  EXPECT_EQ(logs.str().find(kKey), std::string::npos);
  EXPECT_EQ(logs.str().find("KEY-987"), std::string::npos);
}
