// The real chatstream binary on an ephemeral port, driven over real sockets.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json/parse.hpp>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;

std::string host_header(unsigned short port) {
  return "Host: 127.0.0.1:" + std::to_string(port) + "\r\n";
}

void expect_json_error(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  EXPECT_NE(r.header("content-type").find("application/json"), std::string::npos);
  auto v = boost::json::parse(r.body);
  const auto& err = v.at("error").as_object();
  EXPECT_EQ(err.at("code").as_string(), code) << r.body;
  EXPECT_FALSE(err.at("message").as_string().empty());
  EXPECT_FALSE(err.at("type").as_string().empty());
}

TEST(Server, HealthAndRequestId) {
  ChatstreamServer s;
  auto r = http_request(s.port(), "GET", "/healthz");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, R"({"status":"ok"})");
  EXPECT_EQ(r.header("x-request-id").size(), 16u);
  auto echoed = http_request(s.port(), "GET", "/healthz", "", {"X-Request-Id: trace-42"});
  EXPECT_EQ(echoed.header("x-request-id"), "trace-42");
  auto head = http_request(s.port(), "HEAD", "/healthz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.header("content-length"), "15");
  EXPECT_TRUE(head.body.empty());
}

TEST(Server, KeepAliveReusesOneConnection) {
  ChatstreamServer s;
  RawConnection c(s.port());
  for (int i = 0; i < 5; ++i) {
    c.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
    auto r = c.read_response(5s);
    ASSERT_TRUE(r) << "request " << i;
    EXPECT_EQ(r->status, 200);
  }
  // Pipelined requests are answered in order on the same connection.
  c.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\nGET /api/nope HTTP/1.1\r\n" +
         host_header(s.port()) + "\r\n");
  auto a = c.read_response(5s);
  auto b = c.read_response(5s);
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 404);
  auto metrics = http_request(s.port(), "GET", "/metrics");
  EXPECT_NE(metrics.body.find("chatstream_open_connections 2"), std::string::npos) << metrics.body;
}

TEST(Server, Http10PeerGetsAnAnswerAndAClose) {
  ChatstreamServer s;
  RawConnection c(s.port());
  c.send("GET /healthz HTTP/1.0\r\n\r\n");
  auto r = c.read_response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST(Server, ErrorStatusesHaveTheJsonShape) {
  ChatstreamServer s(
      {"--max-body-bytes", "1000", "--max-header-bytes", "2048", "--max-connections", "50"});
  expect_json_error(http_request(s.port(), "GET", "/api/nothing-here"), 404, "not_found");
  auto r405 = http_request(s.port(), "DELETE", "/healthz");
  expect_json_error(r405, 405, "method_not_allowed");
  EXPECT_EQ(r405.header("allow"), "GET");
  expect_json_error(http_request(s.port(), "POST", "/healthz", std::string(5000, 'x')), 413,
                    "body_too_large");
  expect_json_error(
      http_request(s.port(), "GET", "/healthz", "", {"X-Big: " + std::string(4000, 'a')}), 431,
      "headers_too_large");
  {
    RawConnection c(s.port());
    c.send("THIS IS NOT HTTP\r\n\r\n");
    auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    expect_json_error(*r, 400, "bad_request");
  }
  {  // chunked body over the limit
    RawConnection c(s.port());
    c.send("POST /healthz HTTP/1.1\r\n" + host_header(s.port()) +
           "Transfer-Encoding: chunked\r\n\r\n");
    std::string chunk = "400\r\n" + std::string(0x400, 'y') + "\r\n";
    c.send_nothrow(chunk + chunk);
    auto r = c.read_response(5s);
    ASSERT_TRUE(r);
    expect_json_error(*r, 413, "body_too_large");
  }
  expect_json_error(http_request(s.port(), "GET", "/%zz"), 400, "bad_path");
}

TEST(Server, TooManyConnectionsGet503) {
  ChatstreamServer s({"--max-connections", "2"});
  RawConnection a(s.port()), b(s.port());
  a.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
  ASSERT_TRUE(a.read_response(5s));
  b.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
  ASSERT_TRUE(b.read_response(5s));
  RawConnection c(s.port());
  auto r = c.read_response(5s);
  ASSERT_TRUE(r);
  expect_json_error(*r, 503, "too_many_connections");
}

// Connections that wait in the kernel's accept queue while the server cannot run (stopped, here;
// busy with thousands of streams, in production) are taken in batches when it runs again: each
// is served, and the connection limit holds across a batch.
TEST(Server, ABurstOfWaitingConnectionsIsServedWholeWithinTheConnectionLimit) {
  ChatstreamServer s({"--max-connections", "100"});
  ASSERT_EQ(http_request(s.port(), "GET", "/healthz").status, 200);
  ASSERT_EQ(::kill(s.process().pid(), SIGSTOP), 0);
  std::vector<std::unique_ptr<RawConnection>> burst;
  for (int i = 0; i < 300; ++i) {
    burst.push_back(std::make_unique<RawConnection>(s.port()));
    burst.back()->send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
  }
  ASSERT_EQ(::kill(s.process().pid(), SIGCONT), 0);
  int served = 0;
  int refused = 0;
  for (auto& c : burst) {
    auto r = c->read_response(10s);
    ASSERT_TRUE(r);
    if (r->status == 200) {
      ++served;
    } else {
      expect_json_error(*r, 503, "too_many_connections");
      ++refused;
    }
  }
  EXPECT_EQ(served, 100);
  EXPECT_EQ(refused, 200);
  burst.clear();  // once the server has seen them close, it serves again
  int status = 0;
  for (int i = 0; i < 100 && status != 200; ++i) {
    if (i > 0) std::this_thread::sleep_for(50ms);
    status = http_request(s.port(), "GET", "/healthz").status;
  }
  EXPECT_EQ(status, 200);
}

TEST(Server, Expect100Continue) {
  ChatstreamServer s;
  RawConnection c(s.port());
  c.send("POST /healthz HTTP/1.1\r\n" + host_header(s.port()) +
         "Content-Length: 5\r\nExpect: 100-continue\r\n\r\n");
  auto interim = c.read_until("\r\n\r\n", 5s);
  EXPECT_NE(interim.find("100 Continue"), std::string::npos) << interim;
  c.send("hello");
  auto r = c.read_response(5s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
}

TEST(Server, SlowLorisIsCutAtTheRequestTimeout) {
  ChatstreamServer s({"--request-timeout", "1s"});
  RawConnection c(s.port());
  const std::string request = "GET /healthz HTTP/1.1\r\n" + host_header(s.port()) +
                              "X-Padding: " + std::string(40, 'p') + "\r\n\r\n";
  auto start = std::chrono::steady_clock::now();
  bool cut = false;
  for (char ch : request) {
    if (!c.send_nothrow(std::string_view(&ch, 1))) {
      cut = true;
      break;
    }
    if (c.wait_closed(150ms)) {
      cut = true;
      break;
    }
  }
  EXPECT_TRUE(cut) << "the slow request was served instead of cut";
  EXPECT_LT(std::chrono::steady_clock::now() - start, 8s);
  // The server still answers others.
  EXPECT_EQ(http_request(s.port(), "GET", "/healthz").status, 200);
}

TEST(Server, IdleKeepAliveConnectionIsClosed) {
  ChatstreamServer s({"--keepalive-timeout", "300ms"});
  RawConnection c(s.port());
  c.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
  ASSERT_TRUE(c.read_response(5s));
  EXPECT_TRUE(c.wait_closed(5s));
}

TEST(Server, HostAndOriginChecks) {
  ChatstreamServer s;
  auto rebinding = http_request(s.port(), "GET", "/healthz", "", {"Host: attacker.example"});
  // http_request adds its own Host first; send a raw one instead.
  RawConnection c(s.port());
  c.send("GET /healthz HTTP/1.1\r\nHost: attacker.example\r\n\r\n");
  auto r = c.read_response(5s);
  ASSERT_TRUE(r);
  expect_json_error(*r, 403, "host_not_allowed");
  auto csrf = http_request(s.port(), "POST", "/healthz", "{}",
                           {"Origin: http://evil.example", "Content-Type: application/json"});
  expect_json_error(csrf, 403, "cross_origin_request");
  (void)rebinding;
}

TEST(Server, StaticFilesFallbackAndTraversal) {
  ChatstreamServer s;
  std::filesystem::create_directories(s.web_root() / "assets");
  std::ofstream(s.web_root() / "index.html") << "<!doctype html><title>chat</title>";
  std::ofstream(s.web_root() / "assets" / "app-0123abcd.js") << "console.log('hi')";
  auto index = http_request(s.port(), "GET", "/");
  EXPECT_EQ(index.status, 200);
  EXPECT_EQ(index.body, "<!doctype html><title>chat</title>");
  EXPECT_NE(index.header("content-security-policy").find("script-src 'self'"), std::string::npos);
  EXPECT_EQ(index.header("cache-control"), "no-cache");
  auto js = http_request(s.port(), "GET", "/assets/app-0123abcd.js");
  EXPECT_EQ(js.status, 200);
  EXPECT_EQ(js.header("content-type"), "text/javascript; charset=utf-8");
  EXPECT_NE(js.header("cache-control").find("immutable"), std::string::npos);
  auto cached = http_request(s.port(), "GET", "/assets/app-0123abcd.js", "",
                             {"If-None-Match: " + js.header("etag")});
  EXPECT_EQ(cached.status, 304);
  auto spa = http_request(s.port(), "GET", "/c/01JABCDEF");
  EXPECT_EQ(spa.status, 200);
  EXPECT_EQ(spa.body, index.body);
  for (const char* evil : {"/../../../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd",
                           "/assets/..%2f..%2f..%2fetc/passwd"}) {
    auto r = http_request(s.port(), "GET", evil);
    EXPECT_NE(r.status, 200) << evil;
    EXPECT_EQ(r.body.find("root:"), std::string::npos) << evil;
  }
  expect_json_error(http_request(s.port(), "GET", "/api/unknown"), 404, "not_found");
}

std::string sse_request(unsigned short port, const std::string& target, int version = 11) {
  return "GET " + target + " HTTP/1." + std::to_string(version % 10) + "\r\n" + host_header(port) +
         "Accept: text/event-stream\r\n\r\n";
}

TEST(Sse, StreamsWithTheRightHeadersAndHeartbeats) {
  ChatstreamServer s({"--debug-endpoints", "--sse-heartbeat", "200ms"});
  RawConnection c(s.port());
  c.send(sse_request(s.port(), "/api/debug/stream?count=2&interval_ms=900"));
  auto head = c.read_until("\r\n\r\n", 5s);
  EXPECT_NE(head.find("Content-Type: text/event-stream; charset=utf-8"), std::string::npos);
  EXPECT_NE(head.find("Cache-Control: no-cache, no-transform"), std::string::npos);
  EXPECT_NE(head.find("X-Accel-Buffering: no"), std::string::npos);
  EXPECT_NE(head.find("Transfer-Encoding: chunked"), std::string::npos);
  auto body = head + c.read_until("event: done", 10s);
  EXPECT_NE(body.find(": hb"), std::string::npos) << body;
  EXPECT_NE(body.find("event: tick\nid: 2\n"), std::string::npos) << body;
}

TEST(Sse, Http10StreamIsCloseDelimited) {
  ChatstreamServer s({"--debug-endpoints"});
  RawConnection c(s.port());
  c.send(sse_request(s.port(), "/api/debug/stream?count=3&interval_ms=10", 0));
  auto r = c.read_response(10s);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_TRUE(r->header("transfer-encoding").empty());
  auto frames = parse_sse_frames(r->body);
  ASSERT_EQ(frames.size(), 4u) << r->body;
  EXPECT_EQ(frames[2].id, "3");
  EXPECT_EQ(frames[3].event, "done");
}

TEST(Sse, NonReadingClientIsDroppedOthersKeepFlowing) {
  ChatstreamServer s({"--debug-endpoints", "--write-timeout", "1s"});
  // A: asks for a fast, large stream and never reads.
  RawConnection stuck(s.port(), 4096);
  stuck.send(sse_request(s.port(), "/api/debug/stream?count=1000000&interval_ms=0&bytes=8000"));
  // B: a slow stream that is read normally.
  RawConnection reader(s.port());
  reader.send(sse_request(s.port(), "/api/debug/stream?count=60&interval_ms=50"));
  std::string got;
  bool stuck_dropped = false;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  while (std::chrono::steady_clock::now() < deadline) {
    auto part = reader.read_some(200ms);
    if (part) got += *part;
    auto m = http_request(s.port(), "GET", "/metrics");
    if (m.body.find("chatstream_open_sse_streams 1\n") != std::string::npos) {
      stuck_dropped = true;
      break;
    }
  }
  EXPECT_TRUE(stuck_dropped) << "the non-reading client was never dropped";
  // B keeps receiving after A was dropped, up to its end.
  got += reader.read_until("event: done", 15s);
  EXPECT_NE(got.find("id: 60\n"), std::string::npos);
  EXPECT_NE(got.find("event: done"), std::string::npos);
  EXPECT_TRUE(stuck.wait_closed(10s));
}

// Polls /metrics until `line` appears (bounded).
bool metrics_show(unsigned short port, const std::string& line) {
  for (int i = 0; i < 100; ++i) {
    if (http_request(port, "GET", "/metrics").body.find(line) != std::string::npos) return true;
    std::this_thread::sleep_for(100ms);
  }
  return false;
}

TEST(Sse, Http11StreamIsChunkedAndEndsWithTheLastChunk) {
  ChatstreamServer s({"--debug-endpoints"});
  RawConnection c(s.port());
  c.send(sse_request(s.port(), "/api/debug/stream?count=3&interval_ms=10"));
  auto r = c.read_response(10s);  // decodes the chunked framing strictly
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("transfer-encoding"), "chunked");
  EXPECT_EQ(r->header("connection"), "close");
  auto frames = parse_sse_frames(r->body);
  ASSERT_EQ(frames.size(), 4u) << r->body;
  EXPECT_EQ(frames[0].id, "1");
  EXPECT_EQ(frames[3].event, "done");
  EXPECT_TRUE(c.wait_closed(5s));
  EXPECT_TRUE(metrics_show(s.port(), "chatstream_open_sse_streams 0\n"));
  EXPECT_NE(s.log().find("GET /api/debug/stream 200 "), std::string::npos) << s.log();
  EXPECT_NE(s.log().find(" sse rid="), std::string::npos) << s.log();
}

TEST(Sse, LargeFramesThroughASmallReceiveBufferArriveWhole) {
  ChatstreamServer s({"--debug-endpoints"});
  // A small receive buffer makes the server finish most writes asynchronously.
  RawConnection c(s.port(), 4096);
  c.send(sse_request(s.port(), "/api/debug/stream?count=200&interval_ms=0&bytes=20000"));
  auto r = c.read_response(30s);
  ASSERT_TRUE(r);
  auto frames = parse_sse_frames(r->body);
  ASSERT_EQ(frames.size(), 201u);
  for (int i = 0; i < 200; ++i) {
    ASSERT_EQ(frames[i].id, std::to_string(i + 1));
    ASSERT_EQ(frames[i].data.size(), 20000u + 15u + std::to_string(i + 1).size()) << i;
  }
  EXPECT_EQ(frames[200].event, "done");
}

TEST(Sse, ClientGoneEndsTheStreamAndTheSession) {
  ChatstreamServer s({"--debug-endpoints"});
  {
    RawConnection c(s.port());
    c.send(sse_request(s.port(), "/api/debug/stream?count=100000&interval_ms=50"));
    c.read_until("id: 1\n", 5s);
    ASSERT_TRUE(metrics_show(s.port(), "chatstream_open_sse_streams 1\n"));
  }  // the client closes its socket
  EXPECT_TRUE(metrics_show(s.port(), "chatstream_open_sse_streams 0\n"));
  // Only the /metrics request's own connection is open once the session ended.
  EXPECT_TRUE(metrics_show(s.port(), "chatstream_open_connections 1\n"));
  EXPECT_NE(s.log().find(" sse rid="), std::string::npos) << s.log();
}

TEST(Sse, ShutdownDuringAStreamWithoutTrafficStillEndsIt) {
  ChatstreamServer s({"--debug-endpoints", "--shutdown-grace", "3s", "--sse-heartbeat", "60s"});
  RawConnection stream(s.port());
  stream.send(sse_request(s.port(), "/api/debug/stream?count=2&interval_ms=3600000"));
  auto head = stream.read_until("\r\n\r\n", 5s);
  ASSERT_NE(head.find("200"), std::string::npos);
  s.process().signal(SIGTERM);
  auto rest = stream.read_until("event: shutdown", 5s);
  EXPECT_NE(rest.find("retry: "), std::string::npos) << rest;
  EXPECT_TRUE(stream.wait_closed(5s));
  auto status = s.process().wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 0) << s.log();
}

TEST(Shutdown, SigtermEndsStreamsAndExitsZero) {
  ChatstreamServer s({"--debug-endpoints", "--shutdown-grace", "3s"});
  RawConnection stream(s.port());
  stream.send(sse_request(s.port(), "/api/debug/stream?count=100000&interval_ms=100"));
  stream.read_until("id: 1\n", 5s);
  RawConnection idle(s.port());
  idle.send("GET /healthz HTTP/1.1\r\n" + host_header(s.port()) + "\r\n");
  ASSERT_TRUE(idle.read_response(5s));
  auto start = std::chrono::steady_clock::now();
  s.process().signal(SIGTERM);
  auto rest = stream.read_until("event: shutdown", 5s);
  EXPECT_NE(rest.find("event: shutdown"), std::string::npos) << rest;
  EXPECT_NE(rest.find("retry: "), std::string::npos);
  EXPECT_TRUE(stream.wait_closed(5s));
  EXPECT_TRUE(idle.wait_closed(5s));
  auto status = s.process().wait_exit(10s);
  ASSERT_TRUE(status) << "did not exit";
  EXPECT_EQ(*status, 0) << s.log();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 5s);
}

TEST(Startup, RefusesRemoteBindWithoutOptIn) {
  TempDir dir;
  Process p({built_program("src/app/chatstream").string(), "--bind", "0.0.0.0", "--port", "0"},
            dir.path() / "log");
  auto status = p.wait_exit(10s);
  ASSERT_TRUE(status);
  EXPECT_EQ(*status, 2);
  EXPECT_NE(p.log().find("refusing to listen"), std::string::npos);
}

}  // namespace
}  // namespace chatstream::testing
