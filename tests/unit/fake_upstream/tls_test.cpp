// TLS with the certificate fake-upstream generates, verified as a real client would.
#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <boost/json.hpp>
#include <thread>

#include "harness.hpp"

namespace fake_test {
namespace {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

struct TlsResult {
  std::string handshake_error;
  std::string raw;
};

// Connects, verifies the certificate against `cert` for `host`, sends `request` and reads until
// the chunked body ends (or EOF / 10 s).
// True once `raw` holds a whole chunked response: the last chunk after the header block. A
// header value may itself end in "0" (a request id), so the search starts at the body.
bool chunked_response_complete(const std::string& raw) {
  const auto head_end = raw.find("\r\n\r\n");
  return head_end != std::string::npos &&
         raw.find("\r\n0\r\n\r\n", head_end + 2) != std::string::npos;
}

TlsResult tls_exchange(unsigned short port, const std::string& cert, const std::string& host,
                       const std::string& request,
                       std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  asio::io_context ioc;
  ssl::context ctx(ssl::context::tls_client);
  ctx.load_verify_file(cert);
  ctx.set_verify_mode(ssl::verify_peer);
  ssl::stream<tcp::socket> s(ioc, ctx);
  s.set_verify_callback(ssl::host_name_verification(host));
  if (host != "127.0.0.1") SSL_set_tlsext_host_name(s.native_handle(), host.c_str());
  s.next_layer().connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  TlsResult out;
  boost::system::error_code ec;
  s.handshake(ssl::stream_base::client, ec);
  if (ec) {
    out.handshake_error = ec.message();
    return out;
  }
  asio::write(s, asio::buffer(request));
  // Async reads bounded by run_for: a poll() on the socket would miss bytes that the TLS layer
  // has already pulled into its own buffer.
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (int i = 0; i < 100000 && !chunked_response_complete(out.raw); ++i) {
    bool done = false;
    std::size_t got = 0;
    s.async_read_some(asio::buffer(buf), [&](boost::system::error_code e, std::size_t n) {
      ec = e;
      got = n;
      done = true;
    });
    ioc.restart();
    ioc.run_until(deadline);
    if (!done) break;  // timed out; the pending read is dropped with the io_context
    out.raw.append(buf, got);
    if (ec) break;
  }
  return out;
}

std::string stream_request() {
  const std::string body = chat_body("fake:tokens=4", true);
  return "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer t\r\n"
         "Content-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body;
}

class TlsFake : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/fake-upstream-cert-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    certdir_ = tmpl;
    fake_ = std::make_unique<FakeProcess>(std::vector<std::string>{"--tls", "--cert-out", cert()});
  }
  void TearDown() override {
    fake_.reset();
    std::remove(cert().c_str());
    rmdir(certdir_.c_str());
  }
  std::string cert() const { return certdir_ + "/cert.pem"; }
  std::string certdir_;
  std::unique_ptr<FakeProcess> fake_;
};

TEST_F(TlsFake, StreamsOverTlsVerifiedForIpAddress) {
  auto r = tls_exchange(fake_->port(), cert(), "127.0.0.1", stream_request());
  ASSERT_EQ(r.handshake_error, "");
  EXPECT_NE(r.raw.find("HTTP/1.1 200 OK"), std::string::npos);
  EXPECT_NE(r.raw.find("data: [DONE]"), std::string::npos) << r.raw;
}

TEST_F(TlsFake, VerifiedForLocalhostName) {
  auto r = tls_exchange(fake_->port(), cert(), "localhost", stream_request());
  ASSERT_EQ(r.handshake_error, "");
  EXPECT_NE(r.raw.find("data: [DONE]"), std::string::npos);
}

TEST_F(TlsFake, WrongHostNameFailsVerification) {
  auto r = tls_exchange(fake_->port(), cert(), "example.com", stream_request());
  EXPECT_NE(r.handshake_error, "");
}

TEST_F(TlsFake, RequestIsRecordedAsTls) {
  tls_exchange(fake_->port(), cert(), "127.0.0.1", stream_request());
  // The control endpoints are on the same TLS listener.
  auto r = tls_exchange(fake_->port(), cert(), "127.0.0.1",
                        "GET /_fake/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
  EXPECT_NE(r.raw.find("\"tls\":true"), std::string::npos);
  EXPECT_NE(r.raw.find("Bearer t"), std::string::npos);
}

TEST_F(TlsFake, DisconnectWhileStalledIsObservedOverTls) {
  const std::string body = chat_body("fake:tokens=5,stall_after=1", true);
  // The exchange ends by timeout: the stream never finishes. Then the client is gone.
  auto r = tls_exchange(fake_->port(), cert(), "127.0.0.1",
                        "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
                            std::to_string(body.size()) + "\r\n\r\n" + body,
                        std::chrono::milliseconds(300));
  EXPECT_NE(r.raw.find("\"content\":"), std::string::npos);
  boost::json::value rec;
  for (int i = 0; i < 100; ++i) {  // bounded: up to ~5 s
    auto list = tls_exchange(fake_->port(), cert(), "127.0.0.1",
                             "GET /_fake/requests HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                             std::chrono::milliseconds(500));
    const auto pos = list.raw.find("\r\n\r\n");
    if (pos == std::string::npos) continue;
    boost::system::error_code ec;
    auto all = boost::json::parse(list.raw.substr(pos + 4), ec);
    if (ec || all.as_array().empty()) continue;
    rec = all.as_array().back();
    if (rec.at("outcome") != "in_progress") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  ASSERT_TRUE(rec.is_object());
  EXPECT_EQ(rec.at("outcome"), "client_disconnected");
  EXPECT_EQ(rec.at("tokens_sent"), 1);
}

}  // namespace
}  // namespace fake_test
