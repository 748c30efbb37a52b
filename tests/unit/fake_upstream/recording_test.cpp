// Recording of requests, statistics, keep-alive, disconnect detection and process lifecycle.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <thread>

#include "harness.hpp"

namespace fake_test {
namespace {

namespace json = boost::json;

class Recording : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fake_ = new FakeProcess(); }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }
  void SetUp() override { clear_requests(port()); }
  unsigned short port() const { return fake_->port(); }
  static inline FakeProcess* fake_ = nullptr;
};

TEST_F(Recording, RecordsMethodPathHeadersAndBody) {
  Client c(port());
  const std::string body = chat_body("fake:tokens=2", true, "hello");
  c.post("/v1/chat/completions?x=1", body,
         {{"Authorization", "Bearer sk-secret"}, {"X-Custom-Thing", "Value"}});
  auto all = fake_requests(port()).as_array();
  ASSERT_EQ(all.size(), 1u);
  const auto& rec = all[0];
  EXPECT_EQ(rec.at("method"), "POST");
  EXPECT_EQ(rec.at("path"), "/v1/chat/completions");
  EXPECT_EQ(rec.at("query"), "x=1");
  EXPECT_EQ(rec.at("body").as_string(), body);
  EXPECT_EQ(rec.at("body_json").at("model"), "fake:tokens=2");
  EXPECT_EQ(rec.at("header_map").at("authorization"), "Bearer sk-secret");
  bool found = false;  // original case and order kept
  for (const auto& h : rec.at("headers").as_array())
    found |= h.at(0) == "X-Custom-Thing" && h.at(1) == "Value";
  EXPECT_TRUE(found);
  EXPECT_EQ(rec.at("outcome"), "completed");
  EXPECT_EQ(rec.at("status"), 200);
  EXPECT_EQ(rec.at("tokens_sent"), 2);
  EXPECT_GT(rec.at("received_at_ms").as_double(), 1.6e12);
  EXPECT_FALSE(rec.at("tls").as_bool());
}

TEST_F(Recording, ClearAndNewestLast) {
  Client c(port());
  c.post("/v1/chat/completions", chat_body("first", false));
  c.post("/v1/chat/completions", chat_body("second", false));
  auto all = fake_requests(port()).as_array();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[1].at("body_json").at("model"), "second");
  clear_requests(port());
  EXPECT_TRUE(fake_requests(port()).as_array().empty());
}

TEST_F(Recording, KeepAliveReusesTheConnection) {
  const auto before = fake_stats(port()).at("connections_accepted").as_int64();
  {
    Client c(port());
    for (int i = 0; i < 3; ++i)
      ASSERT_EQ(c.post("/v1/chat/completions", chat_body("fake:tokens=2", true)).status, 200u);
  }
  auto all = fake_requests(port()).as_array();
  ASSERT_EQ(all.size(), 3u);
  EXPECT_EQ(all[0].at("connection_id"), all[2].at("connection_id"));
  EXPECT_EQ(all[2].at("seq_on_connection"), 3);
  const auto after = fake_stats(port()).at("connections_accepted").as_int64();
  // The client's connection, the /_fake/requests one and the /_fake/stats one for `after`.
  EXPECT_EQ(after - before, 3);
}

TEST_F(Recording, DisconnectWhileStalledIsObserved) {
  const auto disconnects = fake_stats(port()).at("client_disconnects").as_int64();
  Client c(port());
  const std::string body = chat_body("fake:tokens=10,stall_after=2", true);
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  const std::string got = c.read_until("\"content\":", 3);  // role chunk + 2 tokens
  ASSERT_NE(got.find("200 OK"), std::string::npos);
  EXPECT_EQ(fake_stats(port()).at("streams_active"), 1);
  c.close();  // the stream is idle: only a read on the server side can notice this
  auto rec = wait_for_outcome(port());
  EXPECT_EQ(rec.at("outcome"), "client_disconnected");
  EXPECT_EQ(rec.at("tokens_sent"), 2);
  EXPECT_GE(rec.at("disconnect_at_ms").as_double(), rec.at("received_at_ms").as_double());
  auto stats = fake_stats(port());
  EXPECT_EQ(stats.at("client_disconnects").as_int64(), disconnects + 1);
  EXPECT_EQ(stats.at("streams_active"), 0);
}

TEST_F(Recording, DisconnectDuringLongDelayIsObserved) {
  Client c(port());
  const std::string body = chat_body("fake:tokens=3,delay_ms=60000", true);
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  c.read_until("\"content\":", 2);
  c.close();
  EXPECT_EQ(wait_for_outcome(port()).at("outcome"), "client_disconnected");
}

TEST_F(Recording, DisconnectBeforeHeadersIsObserved) {
  Client c(port());
  const std::string body = chat_body("fake:header_delay_ms=60000", true);
  c.send_raw("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  for (int i = 0; i < 200 && fake_requests(port()).as_array().empty(); ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  c.close();
  auto rec = wait_for_outcome(port());
  EXPECT_EQ(rec.at("outcome"), "client_disconnected");
  EXPECT_EQ(rec.at("status"), 0);
}

TEST_F(Recording, ConnectionsOpenCountsLiveConnections) {
  const auto base = fake_stats(port()).at("connections_open").as_int64();
  Client a(port());
  Client b(port());
  a.request("GET", "/v1/models");
  b.request("GET", "/v1/models");
  EXPECT_EQ(fake_stats(port()).at("connections_open").as_int64(), base + 2);
}

TEST(FakeProcessLifecycle, PrintsPortAndExitsCleanlyOnSigterm) {
  FakeProcess p;
  Client c(p.port());
  EXPECT_EQ(c.request("GET", "/_fake/health").status, 200u);
  EXPECT_NE(p.stdout_text().find("listening on 127.0.0.1:" + std::to_string(p.port())),
            std::string::npos);
  EXPECT_EQ(p.stop(), 0);
}

TEST(FakeProcessLifecycle, SeveralThreads) {
  FakeProcess p({"--threads", "2"});
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      Client c(p.port());
      for (int i = 0; i < 5; ++i)
        if (c.post("/v1/chat/completions", chat_body("fake:tokens=5", true)).complete()) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 20);
  EXPECT_EQ(fake_stats(p.port()).at("requests"), 20);
}

}  // namespace
}  // namespace fake_test
