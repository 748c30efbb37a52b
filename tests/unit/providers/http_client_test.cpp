#include "providers/http_client.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <optional>
#include <thread>

#include "providers/http/detail.hpp"
#include "test_server.hpp"

namespace cp = chatstream::providers;
namespace ct = chatstream::testing;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

struct Result {
  cp::HttpOutcome outcome;
  int status = 0;
  std::string body;
  std::string content_type;
};

// Runs one request; `cancel_after_body` > 0 cancels (terminal) after that many body bytes.
Result fetch(asio::io_context& io, cp::HttpClient& client, std::string url,
             std::size_t cancel_after_body = 0,
             asio::cancellation_type type = asio::cancellation_type::terminal,
             std::string body = R"({"hello":"world"})") {
  io.restart();
  asio::cancellation_signal signal;
  Result r;
  bool done = false;
  cp::HttpRequest req;
  req.url = std::move(url);
  req.headers.push_back({"Content-Type", "application/json"});
  req.headers.push_back({"Authorization", "Bearer sk-secret-123"});
  req.body = std::move(body);
  auto on_head = [&r](const cp::HttpResponseHead& h) {
    r.status = h.status;
    r.content_type = std::string(h.header("content-type"));
  };
  auto on_body = [&](std::string_view b) {
    r.body += b;
    if (cancel_after_body > 0 && r.body.size() >= cancel_after_body) {
      asio::post(io, [&signal, type] { signal.emit(type); });
    }
    return true;
  };
  asio::co_spawn(
      io, client.stream(std::move(req), on_head, on_body),
      asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, cp::HttpOutcome o) {
        if (e) std::rethrow_exception(e);
        r.outcome = std::move(o);
        done = true;
      }));
  io.run_for(20s);
  EXPECT_TRUE(done);
  return r;
}

cp::HttpClientConfig fast_config() {
  cp::HttpClientConfig c;
  c.connect_timeout = 2000ms;
  c.first_byte_timeout = 2000ms;
  c.idle_timeout = 2000ms;
  c.total_timeout = 10000ms;
  return c;
}

void chunked_ok(ct::ServerConn& c, const ct::RawRequest&) {
  c.write(
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
  c.write(ct::chunk("data: one\n\n"));
  c.write(ct::chunk("data: two\n\n"));
  c.write(ct::kLastChunk);
}

}  // namespace

TEST(HttpUrl, ParsesOriginsAndTargets) {
  std::string err;
  auto t = cp::http_detail::parse_url("https://api.example.com/v1/chat/completions?x=1", err);
  ASSERT_TRUE(t);
  EXPECT_TRUE(t->origin.tls);
  EXPECT_EQ(t->origin.port, 443);
  EXPECT_EQ(t->path, "/v1/chat/completions?x=1");
  EXPECT_EQ(t->origin.host_header(), "api.example.com");
  auto v6 = cp::http_detail::parse_url("http://[::1]:8080", err);
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->origin.host, "::1");
  EXPECT_EQ(v6->path, "/");
  EXPECT_EQ(v6->origin.host_header(), "[::1]:8080");
  EXPECT_FALSE(cp::http_detail::parse_url("ftp://x/", err));
}

TEST(HttpUrl, NoProxyRules) {
  using cp::http_detail::no_proxy_matches;
  EXPECT_TRUE(no_proxy_matches("api.example.com", "localhost, .example.com"));
  EXPECT_TRUE(no_proxy_matches("example.com", "example.com"));
  EXPECT_FALSE(no_proxy_matches("badexample.com", "example.com"));
  EXPECT_TRUE(no_proxy_matches("anything", "*"));
  EXPECT_TRUE(no_proxy_matches("10.0.0.1", "10.0.0.1:8080"));
  EXPECT_FALSE(no_proxy_matches("10.0.0.2", ""));
  cp::HttpClientConfig c;
  c.https_proxy = "http://user:pw@proxy.local:3128";
  c.no_proxy = "internal.example";
  cp::http_detail::Origin o{true, "api.openai.com", 443};
  auto p = cp::http_detail::proxy_for(o, c);
  ASSERT_TRUE(p);
  EXPECT_EQ(p->origin.port, 3128);
  EXPECT_EQ(p->authorization, "Basic dXNlcjpwdw==");
  o.host = "internal.example";
  EXPECT_FALSE(cp::http_detail::proxy_for(o, c));
  o.tls = false;
  EXPECT_FALSE(cp::http_detail::proxy_for(o, c));  // no http_proxy set
}

TEST(HttpUrl, SerializesWithoutHeaderInjection) {
  std::string err;
  auto t = cp::http_detail::parse_url("http://127.0.0.1:9/x", err);
  cp::HttpRequest req;
  req.headers.push_back({"X-Evil", "a\r\nInjected: yes"});
  req.body = "{}";
  const auto wire = cp::http_detail::serialize_request(req, *t);
  EXPECT_EQ(wire.find("\r\nInjected"), std::string::npos);
  EXPECT_NE(wire.find("Host: 127.0.0.1:9\r\n"), std::string::npos);
  EXPECT_NE(wire.find("Content-Length: 2\r\n"), std::string::npos);
}

TEST(HttpClient, StreamsChunkedBodyAndReusesConnection) {
  asio::io_context io;
  ct::TestServer server(chunked_ok);
  cp::HttpClient client(fast_config(), nullptr);
  for (int i = 0; i < 3; ++i) {
    const auto r = fetch(io, client, server.url("/v1/chat/completions"));
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_TRUE(r.outcome.complete);
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.content_type, "text/event-stream");
    EXPECT_EQ(r.body, "data: one\n\ndata: two\n\n");
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(client.stats().connections_opened, 1U);
  EXPECT_EQ(client.stats().reused, 2U);
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 3U);
  EXPECT_EQ(reqs[0].body, R"({"hello":"world"})");
  EXPECT_EQ(reqs[0].header("host"), "127.0.0.1:" + std::to_string(server.port()));
}

TEST(HttpClient, DialsAnAddressDirectlyAndResolvesANameOnce) {
  asio::io_context io;
  ct::TestServer server(chunked_ok);
  cp::HttpClient client(fast_config(), nullptr);
  const auto by_address = fetch(io, client, server.url("/"));
  EXPECT_EQ(by_address.outcome.failure, cp::HttpFailure::none) << by_address.outcome.detail;
  EXPECT_EQ(client.stats().name_lookups, 0U);
  const auto by_name = fetch(io, client, "http://localhost:" + std::to_string(server.port()) + "/");
  EXPECT_EQ(by_name.outcome.failure, cp::HttpFailure::none) << by_name.outcome.detail;
  EXPECT_EQ(by_name.body, "data: one\n\ndata: two\n\n");
  EXPECT_EQ(client.stats().name_lookups, 1U);
  EXPECT_EQ(client.stats().connections_opened, 2U);  // another origin: its own connection
}

// A request larger than the socket buffers: its write has to wait for the connection to drain
// (the connected socket is registered for readability only until a write needs more).
TEST(HttpClient, ARequestLargerThanTheSocketBuffersIsSentWhole) {
  asio::io_context io;
  ct::TestServer server(chunked_ok);
  cp::HttpClient client(fast_config(), nullptr);
  const std::string big = "{\"pad\":\"" + std::string(8 * 1024 * 1024, 'x') + "\"}";
  for (int i = 0; i < 2; ++i) {  // a new connection, then the pooled one
    const auto r = fetch(io, client, server.url("/"), 0, asio::cancellation_type::terminal, big);
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_EQ(r.body, "data: one\n\ndata: two\n\n");
  }
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].body.size(), big.size());
  EXPECT_EQ(reqs[1].body, big);
  EXPECT_EQ(client.stats().connections_opened, 1U);
}

// A response body in pieces around and far beyond the read buffer's size, written at once: it
// arrives whole and in order, and the connection is reused for the next request.
TEST(HttpClient, ABodyLargerThanTheReadBufferArrivesWholeAndInOrder) {
  std::string expected;
  std::string response =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  int piece = 0;
  for (const std::size_t size : {1U, 1000U, 1023U, 1024U, 1025U, 4096U, 65535U, 65536U, 200000U}) {
    std::string data = "data: ";
    while (data.size() + 2 < size) data += static_cast<char>('a' + (piece + data.size()) % 26);
    data += "\n\n";
    ++piece;
    expected += data;
    response += ct::chunk(data);
  }
  response += ct::kLastChunk;
  asio::io_context io;
  ct::TestServer server(
      [&response](ct::ServerConn& c, const ct::RawRequest&) { c.write(response); });
  cp::HttpClient client(fast_config(), nullptr);
  for (int i = 0; i < 2; ++i) {
    const auto r = fetch(io, client, server.url("/"));
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_TRUE(r.outcome.complete);
    EXPECT_EQ(r.body.size(), expected.size());
    EXPECT_TRUE(r.body == expected);
  }
  EXPECT_EQ(client.stats().connections_opened, 1U);
}

TEST(HttpClient, CloseDelimitedBodyAndErrorStatus) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    c.write(
        "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nRetry-After: "
        "3\r\n\r\n{\"error\":{}}");
    c.close();
  });
  cp::HttpClient client(fast_config(), nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
  EXPECT_EQ(r.status, 429);
  EXPECT_EQ(r.body, "{\"error\":{}}");
}

TEST(HttpClient, StalePooledConnectionIsReplaced) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest& r) {
    chunked_ok(c, r);
    c.close();  // closes without announcing "Connection: close"
  });
  cp::HttpClient client(fast_config(), nullptr);
  for (int i = 0; i < 2; ++i) {
    std::this_thread::sleep_for(50ms);  // let the server's close arrive (either path must work)
    const auto r = fetch(io, client, server.url("/"));
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_EQ(r.body, "data: one\n\ndata: two\n\n");
  }
  EXPECT_EQ(server.connections(), 2);
  EXPECT_GE(client.stats().stale_replaced, 1U);
}

TEST(HttpClient, TruncatedChunkedBodyIsClosed) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write(ct::chunk("data: partial\n\n"));
    c.close();
  });
  cp::HttpClient client(fast_config(), nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::closed);
  EXPECT_TRUE(r.outcome.head_received);
  EXPECT_EQ(r.body, "data: partial\n\n");
}

TEST(HttpClient, ConnectFailure) {
  asio::io_context io;
  unsigned short port = 0;
  {
    ct::TestServer gone(chunked_ok);
    port = gone.port();
  }
  cp::HttpClient client(fast_config(), nullptr);
  const auto r = fetch(io, client, "http://127.0.0.1:" + std::to_string(port) + "/");
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::connect);
  EXPECT_FALSE(r.outcome.head_received);
}

TEST(HttpClient, FirstByteTimeout) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    c.wait_peer_close(5000ms);
    c.close();
  });
  auto cfg = fast_config();
  cfg.first_byte_timeout = 200ms;
  cp::HttpClient client(cfg, nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::timeout_first_byte);
}

TEST(HttpClient, IdleTimeoutAfterSomeBody) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write(ct::chunk("data: one\n\n"));
    c.wait_peer_close(5000ms);
    c.close();
  });
  auto cfg = fast_config();
  cfg.idle_timeout = 200ms;
  cp::HttpClient client(cfg, nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::timeout_idle);
  EXPECT_EQ(r.body, "data: one\n\n");
}

TEST(HttpClient, TotalTimeout) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 100; ++i) {
      if (!c.write(ct::chunk("data: x\n\n"))) break;
      std::this_thread::sleep_for(20ms);
    }
    c.close();
  });
  auto cfg = fast_config();
  cfg.total_timeout = 300ms;
  cp::HttpClient client(cfg, nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::timeout_total);
}

class CancelTest : public ::testing::TestWithParam<asio::cancellation_type> {};

TEST_P(CancelTest, CancellationClosesTheUpstreamSocket) {
  asio::io_context io;
  std::atomic<bool> saw_close{false};
  ct::TestServer server([&](ct::ServerConn& c, const ct::RawRequest&) {
    c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write(ct::chunk("data: one\n\n"));
    saw_close = c.wait_peer_close(5000ms);
    c.close();
  });
  cp::HttpClient client(fast_config(), nullptr);
  const auto r = fetch(io, client, server.url("/"), 1, GetParam());
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::cancelled);
  for (int i = 0; i < 500 && !saw_close; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(saw_close);
  EXPECT_EQ(client.stats().reused, 0U);
}

INSTANTIATE_TEST_SUITE_P(Types, CancelTest,
                         ::testing::Values(asio::cancellation_type::terminal,
                                           asio::cancellation_type::partial));

// The request runs directly on the caller's strand (no strand of its own): a cancellation
// while the response head is awaited closes the upstream socket at once.
TEST_P(CancelTest, CancellationWhileWaitingForTheHeadOnTheCallersStrand) {
  asio::io_context io;
  asio::cancellation_signal signal;
  const auto type = GetParam();
  std::atomic<bool> saw_close{false};
  ct::TestServer server([&](ct::ServerConn& c, const ct::RawRequest&) {
    asio::post(io, [&signal, type] { signal.emit(type); });  // the request arrived
    saw_close = c.wait_peer_close(5000ms);
    c.close();
  });
  cp::HttpClient client(fast_config(), nullptr);
  cp::HttpRequest req;
  req.url = server.url("/");
  req.body = "{}";
  bool done = false;
  bool head = false;
  cp::HttpOutcome outcome;
  asio::co_spawn(
      asio::make_strand(io),
      client.stream(
          std::move(req), [&head](const cp::HttpResponseHead&) { head = true; },
          [](std::string_view) { return true; }),
      asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e, cp::HttpOutcome o) {
        if (e) std::rethrow_exception(e);
        outcome = std::move(o);
        done = true;
      }));
  io.run_for(20s);
  ASSERT_TRUE(done);
  EXPECT_EQ(outcome.failure, cp::HttpFailure::cancelled);
  EXPECT_FALSE(outcome.head_received);
  EXPECT_FALSE(head);
  for (int i = 0; i < 500 && !saw_close; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(saw_close);
}

class HttpsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { pki_ = new ct::TestPki(); }  // NOLINT
  static void TearDownTestSuite() { delete pki_; }            // NOLINT
  static ct::TestPki* pki_;                                   // NOLINT
};
ct::TestPki* HttpsTest::pki_ = nullptr;  // NOLINT

TEST_F(HttpsTest, VerifiedTlsAndOneHandshakeForTwoRequests) {
  asio::io_context io;
  ASSERT_TRUE(pki_->ok);
  ct::TestServer server(chunked_ok, pki_->cert_file, pki_->key_file);
  auto cfg = fast_config();
  cfg.ca_file = pki_->ca_file;
  cp::HttpClient client(cfg, nullptr);
  for (int i = 0; i < 2; ++i) {
    const auto r = fetch(io, client, server.url("/v1/chat/completions"));
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_EQ(r.body, "data: one\n\ndata: two\n\n");
  }
  EXPECT_EQ(client.stats().tls_handshakes, 1U);
  EXPECT_EQ(server.connections(), 1);
}

TEST_F(HttpsTest, UntrustedCertificateIsRefused) {
  asio::io_context io;
  ASSERT_TRUE(pki_->ok);
  ct::TestServer server(chunked_ok, pki_->cert_file, pki_->key_file);
  cp::HttpClient client(fast_config(), nullptr);  // system store only
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::connect);
  EXPECT_NE(r.outcome.detail.find("certificate verify failed"), std::string::npos)
      << r.outcome.detail;
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpsTest, WrongHostNameIsRefused) {
  asio::io_context io;
  ASSERT_TRUE(pki_->ok);
  ct::TestServer server(chunked_ok, pki_->wrong_cert, pki_->wrong_key);
  auto cfg = fast_config();
  cfg.ca_file = pki_->ca_file;
  cp::HttpClient client(cfg, nullptr);
  const auto r = fetch(io, client, server.url("/"));
  EXPECT_EQ(r.outcome.failure, cp::HttpFailure::connect);
  EXPECT_TRUE(server.requests().empty());
}

TEST_F(HttpsTest, BadCaFileThrows) {
  auto cfg = fast_config();
  cfg.ca_file = "/nonexistent/ca.pem";
  EXPECT_THROW(cp::HttpClient(cfg, nullptr), std::runtime_error);
}

TEST_F(HttpsTest, ThroughConnectProxy) {
  asio::io_context io;
  ASSERT_TRUE(pki_->ok);
  ct::TestServer server(chunked_ok, pki_->cert_file, pki_->key_file);
  ct::TestProxy proxy;
  auto cfg = fast_config();
  cfg.ca_file = pki_->ca_file;
  cfg.https_proxy = "http://alice:pw@127.0.0.1:" + std::to_string(proxy.port());
  cp::HttpClient client(cfg, nullptr);
  for (int i = 0; i < 2; ++i) {
    const auto r = fetch(io, client, server.url("/x"));
    EXPECT_EQ(r.outcome.failure, cp::HttpFailure::none) << r.outcome.detail;
    EXPECT_EQ(r.body, "data: one\n\ndata: two\n\n");
  }
  EXPECT_EQ(proxy.tunnels(), 1);  // the tunnelled connection is pooled too
  EXPECT_EQ(proxy.last_authorization(), "Basic YWxpY2U6cHc=");

  cfg.no_proxy = "127.0.0.1";
  cp::HttpClient direct(cfg, nullptr);
  EXPECT_EQ(fetch(io, direct, server.url("/x")).outcome.failure, cp::HttpFailure::none);
  EXPECT_EQ(proxy.tunnels(), 1);
}
