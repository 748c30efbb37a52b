// Several instances behind nginx sharing PostgreSQL and Redis: live streams followed from any
// instance, resumes across instances, cancel forwarding, a dead owner, a Redis restart.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <future>
#include <optional>
#include <random>
#include <thread>

#include "integration/api/api_client.hpp"
#include "integration/cluster/cluster.hpp"
#include "integration/cluster/fixture.hpp"

namespace chatstream::testing {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr int A = 0, B = 1, C = 2;

class ClusterTest : public ClusterFixture {
 protected:
  ClusterTest() : ClusterFixture("cluster") {}

  Api api(int i) const { return Api{cluster_->port(i)}; }
  // Starts a generation on instance `i`; returns {conversation, assistant message}.
  std::pair<std::string, std::string> start(int i, const std::string& model) {
    auto cid = api(i).new_conversation();
    auto [uid, mid] = api(i).send(cid, "hello cluster", R"("model":"oa/)" + model + "\"");
    return {cid, mid};
  }
  std::future<StreamResult> follow(unsigned short port, const std::string& mid,
                                   const std::string& header = {}) {
    return std::async(std::launch::async,
                      [port, mid, header] { return read_events(port, mid, header, {}, 90s); });
  }
  // The delta number of the answer's last snapshot in PostgreSQL (what survives a crash); the
  // API would show the live text instead.
  std::int64_t stored_delta_seq(const std::string& mid) {
    auto out = psql(pg_, "SELECT delta_seq FROM messages WHERE id = '" + mid + "'");
    try {
      return out ? std::stoll(*out) : -1;
    } catch (const std::exception&) {
      return -1;
    }
  }

  // Waits (bounded) until at least `deltas` deltas of the answer are saved in the store.
  void wait_for_saved(const std::string& mid, std::int64_t deltas) {
    for (int n = 0; n < 300; ++n) {
      if (stored_delta_seq(mid) >= deltas) return;
      std::this_thread::sleep_for(20ms);
    }
    FAIL() << "nothing saved for " << mid;
  }
  json::object fake_stats() const {
    return json::parse(http_request(cluster_->fake_port(), "GET", "/_fake/stats").body).as_object();
  }
  int readyz(int i) const { return http_request(cluster_->port(i), "GET", "/readyz").status; }
};

void expect_contiguous(const StreamResult& s, std::uint64_t first) {
  for (std::size_t i = 0; i < s.deltas.size(); ++i) {
    ASSERT_EQ(s.deltas[i].seq, first + i) << "gap or duplicate at " << i;
  }
}

std::string text_up_to(const StreamResult& s, std::uint64_t last) {
  std::string t;
  for (const auto& d : s.deltas) {
    if (d.seq <= last) t += d.text;
  }
  return t;
}

TEST_F(ClusterTest, EveryInstanceAndNginxServeTheSameLiveStream) {
  auto [cid, mid] = start(A, "fake:tokens=150,delay_ms=10");
  auto on_a = follow(cluster_->port(A), mid);
  auto on_b = follow(cluster_->port(B), mid);
  auto on_c = follow(cluster_->port(C), mid);
  auto via_nginx = follow(cluster_->nginx_port(), mid);
  auto via_nginx_2 = follow(cluster_->nginx_port(), mid);
  auto a = on_a.get();
  ASSERT_EQ(a.terminal_event, "done") << a.raw;
  EXPECT_EQ(a.terminal.at("status").as_string(), "complete");
  ASSERT_EQ(a.deltas.size(), 150u);
  expect_contiguous(a, 1);
  for (auto* f : {&on_b, &on_c, &via_nginx, &via_nginx_2}) {
    auto s = f->get();
    ASSERT_EQ(s.terminal_event, "done") << s.raw;
    EXPECT_EQ(s.terminal.at("status").as_string(), "complete");
    EXPECT_EQ(s.terminal.at("last_seq").as_int64(), 150);
    ASSERT_EQ(s.deltas.size(), 150u);
    expect_contiguous(s, 1);
    EXPECT_EQ(s.text(), a.text());
  }
  EXPECT_EQ(api(C).message(cid, mid).at("content").as_string(), a.text());
}

TEST_F(ClusterTest, DropAndResumeOnAnotherInstanceHasNoGapAndNoDuplicate) {
  auto [cid, mid] = start(A, "fake:tokens=200,delay_ms=10");
  auto reference = follow(cluster_->port(B), mid);
  {
    RawConnection first(cluster_->port(A));
    first.send("GET /api/messages/" + mid + "/events HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    auto seen = first.read_until("id: 40\n", 30s);
    ASSERT_NE(seen.find("id: 40\n"), std::string::npos);
  }  // dropped mid-stream
  // Resumed on C, then again through nginx from further on.
  auto resumed = read_events(cluster_->port(C), mid, "Last-Event-ID: 40\r\n", {}, 90s);
  ASSERT_EQ(resumed.terminal_event, "done") << resumed.raw;
  ASSERT_FALSE(resumed.deltas.empty());
  EXPECT_EQ(resumed.deltas.front().seq, 41u);
  expect_contiguous(resumed, 41);
  EXPECT_EQ(resumed.deltas.back().seq, 200u);
  auto ref = reference.get();
  ASSERT_EQ(ref.deltas.size(), 200u);
  EXPECT_EQ(text_up_to(ref, 40) + resumed.text(), ref.text());
  EXPECT_EQ(api(B).message(cid, mid).at("content").as_string(), ref.text());
  auto late = read_events(cluster_->nginx_port(), mid, "Last-Event-ID: 150\r\n", {}, 90s);
  ASSERT_EQ(late.terminal_event, "done") << late.raw;
  if (late.raw.find("\"replace\":true") == std::string::npos) {  // a followed log, not a replay
    ASSERT_EQ(late.deltas.size(), 50u);
    expect_contiguous(late, 151);
  }
}

TEST_F(ClusterTest, CancelThroughAnotherInstanceStopsTheUpstreamAtTheOwner) {
  auto [cid, mid] = start(A, "fake:tokens=3000,delay_ms=10");
  auto on_b = follow(cluster_->port(B), mid);
  wait_for_saved(mid, 10);
  auto before = fake_stats();
  auto r = api(C).json("POST", "/api/messages/" + mid + "/cancel", R"({"shown":5})", 200);
  EXPECT_EQ(r.at("status").as_string(), "cancelled");
  auto s = on_b.get();
  ASSERT_EQ(s.terminal_event, "done") << s.raw;
  EXPECT_EQ(s.terminal.at("status").as_string(), "cancelled");
  EXPECT_EQ(s.terminal.at("last_seq").as_int64(), 5);
  EXPECT_EQ(r.at("content").as_string(), text_up_to(s, 5));
  EXPECT_LT(s.deltas.size(), 3000u);
  // The owner hung up on the provider.
  bool stopped = false;
  for (int i = 0; i < 500 && !stopped; ++i) {
    auto st = fake_stats();
    stopped = st.at("streams_active").as_int64() == 0 &&
              st.at("client_disconnects").as_int64() > before.at("client_disconnects").as_int64();
    if (!stopped) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(stopped) << json::serialize(fake_stats());
  EXPECT_NE(cluster_->log(A).find("cancelling " + mid + " for another instance"),
            std::string::npos);
}

TEST_F(ClusterTest, KilledOwnerLeavesAnInterruptedAnswerWithItsPartialText) {
  auto [cid, mid] = start(A, "fake:tokens=3000,delay_ms=10");
  auto on_b = follow(cluster_->port(B), mid);
  auto on_c = follow(cluster_->port(C), mid);
  wait_for_saved(mid, 10);
  cluster_->kill(A);
  for (auto* f : {&on_b, &on_c}) {
    auto s = f->get();
    ASSERT_EQ(s.terminal_event, "error") << s.raw;
    EXPECT_EQ(s.terminal.at("status").as_string(), "interrupted");
    EXPECT_EQ(s.terminal.at("code").as_string(), "owner_lost");
    auto saved = api(B).message(cid, mid);
    EXPECT_EQ(saved.at("status").as_string(), "interrupted");
    const auto last = static_cast<std::uint64_t>(s.terminal.at("last_seq").as_int64());
    EXPECT_GT(last, 0u);
    EXPECT_EQ(saved.at("content").as_string(), text_up_to(s, last));
  }
  // Exactly one instance marked it.
  auto count = [&](int i) {
    auto log = cluster_->log(i);
    return log.find(mid + " marked interrupted") != std::string::npos ? 1 : 0;
  };
  EXPECT_EQ(count(B) + count(C), 1);
  // A late subscriber gets the same end from the store.
  auto late = read_events(cluster_->port(C), mid, {}, {}, 30s);
  EXPECT_EQ(late.terminal_event, "error") << late.raw;
}

TEST_F(ClusterTest, RedisRestartMidStreamRecoversAndLosesNothingSaved) {
  auto [cid, mid] = start(A, "fake:tokens=800,delay_ms=10");
  auto on_owner = follow(cluster_->port(A), mid);
  auto on_b = follow(cluster_->port(B), mid);
  wait_for_saved(mid, 10);
  cluster_->redis().kill();
  // Not ready while Redis is away; the follower on B is told to retry.
  bool unready = false;
  for (int i = 0; i < 500 && !unready; ++i) {
    unready = readyz(A) == 503;
    if (!unready) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(unready);
  auto b = on_b.get();
  ASSERT_EQ(b.terminal_event, "error") << b.raw;
  EXPECT_EQ(b.terminal.at("code").as_string(), "live_stream_unavailable");
  EXPECT_TRUE(b.terminal.at("retryable").as_bool());
  expect_contiguous(b, 1);
  cluster_->redis().start();
  for (int i = 0; i < 1000 && (readyz(A) != 200 || readyz(B) != 200); ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(readyz(A), 200);
  EXPECT_EQ(readyz(B), 200);
  // Resume on B from where it was cut.
  const auto last = b.deltas.empty() ? 0 : b.deltas.back().seq;
  auto resumed = read_events(cluster_->port(B), mid,
                             "Last-Event-ID: " + std::to_string(last) + "\r\n", {}, 90s);
  ASSERT_EQ(resumed.terminal_event, "done") << resumed.raw;
  auto owner = on_owner.get();  // the owner's own subscriber never noticed
  ASSERT_EQ(owner.terminal_event, "done") << owner.raw;
  EXPECT_EQ(owner.terminal.at("status").as_string(), "complete");
  ASSERT_EQ(owner.deltas.size(), 800u);
  expect_contiguous(owner, 1);
  std::string combined;
  if (resumed.raw.find("\"replace\":true") != std::string::npos) {
    combined = resumed.text();  // it had ended: replayed whole from the store
  } else {
    expect_contiguous(resumed, last + 1);
    combined = b.text() + resumed.text();
  }
  EXPECT_EQ(combined, owner.text());
  auto saved = api(B).message(cid, mid);
  EXPECT_EQ(saved.at("status").as_string(), "complete");
  EXPECT_EQ(saved.at("content").as_string(), owner.text());
}

}  // namespace
}  // namespace chatstream::testing
