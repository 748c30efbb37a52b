// The limits shared through Redis (auth/redis_limits.hpp) against a private redis-server:
// two RedisLimits stand for two instances. Time is injected where a test needs to move it;
// the lease test uses the server's time.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include <atomic>
#include <future>
#include <thread>

#include "auth/redis_limits.hpp"
#include "redis/client.hpp"
#include "redis/script.hpp"
#include "unit/redis/io_loop.hpp"
#include "unit/redis/redis_process.hpp"

namespace chatstream::auth {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;

using chatstream::testing::Loop;

class RedisLimitsTest : public ::testing::Test {
 protected:
  RedisLimitsTest() : redis_(dir_.path() / "redis") {}
  ~RedisLimitsTest() override {
    for (auto& i : instances_) i->stop();
  }

  std::shared_ptr<RedisLimits> instance(std::string id, bool fake_time = true,
                                        std::string url = {}) {
    RedisLimitsSettings s;
    s.redis_url = url.empty() ? redis_.url() : url;
    s.instance_id = std::move(id);
    s.slot_ttl = fake_time ? 60s : 600ms;
    s.retry_after_failure = 100ms;
    s.account_lockout = {
        .free_failures = 2, .base_ms = 30'000, .max_ms = 90'000, .forget_ms = 3'600'000};
    s.address_lockout = {
        .free_failures = 4, .base_ms = 30'000, .max_ms = 90'000, .forget_ms = 3'600'000};
    Clock clock = [this] { return now_.load(); };
    std::optional<Clock> script_clock;
    if (fake_time) script_clock = clock;
    auto r = std::make_shared<RedisLimits>(loop_.executor(), s, nullptr, clock, script_clock);
    r->start();
    instances_.push_back(r);
    return r;
  }
  bool wait_connected(RedisLimits& r) {
    // A probe that does not change state: the lockout of a name nobody uses.
    for (int i = 0; i < 200; ++i) {
      loop_.run(r.login_locked("nobody", "0.0.0.0"));
      if (!r.degraded()) return true;
      std::this_thread::sleep_for(25ms);
    }
    return false;
  }

  testing::TempDir dir_;
  testing::RedisServer redis_;
  Loop loop_;
  std::atomic<std::int64_t> now_{1'700'000'000'000};
  std::vector<std::shared_ptr<RedisLimits>> instances_;
};

TEST_F(RedisLimitsTest, RequestsPerMinuteAreOneBucketForAllInstances) {
  auto a = instance("a");
  auto b = instance("b");
  ASSERT_TRUE(wait_connected(*a));
  ASSERT_TRUE(wait_connected(*b));
  EXPECT_FALSE(loop_.run(a->take_request("u1", 3)));
  EXPECT_FALSE(loop_.run(b->take_request("u1", 3)));
  EXPECT_FALSE(loop_.run(a->take_request("u1", 3)));
  auto wait = loop_.run(b->take_request("u1", 3));
  ASSERT_TRUE(wait);
  EXPECT_GE(*wait, 1);
  EXPECT_LE(*wait, 21);
  EXPECT_TRUE(loop_.run(a->take_request("u1", 3)));
  EXPECT_FALSE(loop_.run(a->take_request("u2", 3)));  // per user
  EXPECT_FALSE(loop_.run(a->take_request("u1", 0)));  // 0: unlimited
  now_ += 20'001;                                     // one token back
  EXPECT_FALSE(loop_.run(b->take_request("u1", 3)));
  EXPECT_TRUE(loop_.run(a->take_request("u1", 3)));
  EXPECT_FALSE(a->degraded());
  auto ttl = testing::redis_inline(redis_.port(), "PTTL " + a->rate_key("u1"));
  EXPECT_NE(ttl, ":-1") << "the bucket must expire";
}

TEST_F(RedisLimitsTest, ConcurrencySlotsAreSharedAndGivenBack) {
  auto a = instance("a");
  auto b = instance("b");
  ASSERT_TRUE(wait_connected(*a));
  ASSERT_TRUE(wait_connected(*b));
  auto s1 = loop_.run(a->take_slot("u1", 2));
  auto s2 = loop_.run(b->take_slot("u1", 2));
  ASSERT_TRUE(s1);
  ASSERT_TRUE(s2);
  EXPECT_NE(*s1, *s2);
  EXPECT_FALSE(loop_.run(a->take_slot("u1", 2)));
  EXPECT_FALSE(loop_.run(b->take_slot("u1", 2)));
  EXPECT_EQ(loop_.run(a->running("u1")), 2);
  EXPECT_TRUE(loop_.run(a->take_slot("u2", 2)));  // per user
  b->give_back_slot("u1", *s2);
  EXPECT_EQ(b->held_slots(), 0u);
  bool back = false;
  for (int i = 0; i < 200 && !back; ++i) {  // the removal is sent in the background
    back = loop_.run(a->running("u1")) == 1;
    if (!back) std::this_thread::sleep_for(10ms);
  }
  EXPECT_TRUE(back);
  EXPECT_TRUE(loop_.run(a->take_slot("u1", 2)));
  // Slots expire with their lease when nobody refreshes them (in injected time here).
  now_ += 61'000;
  EXPECT_EQ(loop_.run(b->running("u1")), 0);
}

TEST_F(RedisLimitsTest, ASlotOfAStoppedInstanceComesBackAfterTheLease) {
  auto a = instance("a", false);
  auto b = instance("b", false);
  ASSERT_TRUE(wait_connected(*a));
  ASSERT_TRUE(wait_connected(*b));
  auto held = loop_.run(a->take_slot("u1", 1));
  ASSERT_TRUE(held);
  // Alive: refreshed every lease/3, so still held after more than two leases.
  std::this_thread::sleep_for(1500ms);
  EXPECT_FALSE(loop_.run(b->take_slot("u1", 1)));
  a->stop();  // as if it crashed: no refresh, no give-back
  std::optional<std::string> taken;
  for (int i = 0; i < 100 && !taken; ++i) {
    taken = loop_.run(b->take_slot("u1", 1));
    if (!taken) std::this_thread::sleep_for(50ms);
  }
  EXPECT_TRUE(taken);
}

TEST_F(RedisLimitsTest, LoginLockoutIsSharedAndExponential) {
  auto a = instance("a");
  auto b = instance("b");
  ASSERT_TRUE(wait_connected(*a));
  ASSERT_TRUE(wait_connected(*b));
  loop_.run(a->login_failed("alice", "10.0.0.1"));
  EXPECT_FALSE(loop_.run(b->login_locked("alice", "10.0.0.2")));
  loop_.run(b->login_failed("alice", "10.0.0.2"));
  EXPECT_FALSE(loop_.run(a->login_locked("alice", "10.0.0.3")));  // 2 free failures
  loop_.run(a->login_failed("alice", "10.0.0.3"));                // 3rd: 30 s
  auto lock = loop_.run(b->login_locked("alice", "10.0.0.9"));
  ASSERT_TRUE(lock);
  EXPECT_EQ(*lock, 30);
  loop_.run(b->login_failed("alice", "10.0.0.4"));  // 4th: 60 s
  EXPECT_EQ(loop_.run(a->login_locked("alice", "10.0.0.9")).value_or(0), 60);
  loop_.run(b->login_failed("alice", "10.0.0.4"));  // 5th: 120 s, capped at 90
  EXPECT_EQ(loop_.run(a->login_locked("alice", "10.0.0.9")).value_or(0), 90);
  EXPECT_FALSE(loop_.run(a->login_locked("bob", "10.0.0.9")));
  // The address 10.0.0.4 failed twice (4 free), 10.0.0.x are separate.
  now_ += 91'000;
  EXPECT_FALSE(loop_.run(a->login_locked("alice", "10.0.0.9")));
  // A success clears the account on every instance.
  loop_.run(a->login_failed("carol", "10.0.0.5"));
  loop_.run(a->login_failed("carol", "10.0.0.5"));
  loop_.run(a->login_failed("carol", "10.0.0.5"));
  EXPECT_TRUE(loop_.run(b->login_locked("carol", "10.0.0.6")));
  loop_.run(b->login_succeeded("carol"));
  EXPECT_FALSE(loop_.run(a->login_locked("carol", "10.0.0.6")));
  // ... but not the address: 10.0.0.5 failed 3 times, a 4th and 5th lock it.
  loop_.run(a->login_failed("dave", "10.0.0.5"));
  loop_.run(a->login_failed("erin", "10.0.0.5"));
  EXPECT_EQ(loop_.run(b->login_locked("frank", "10.0.0.5")).value_or(0), 30);
  auto ttl = testing::redis_inline(redis_.port(), "PTTL " + a->account_key("carol"));
  EXPECT_EQ(ttl, ":-2");  // deleted
  ttl = testing::redis_inline(redis_.port(), "PTTL " + a->address_key("10.0.0.5"));
  EXPECT_NE(ttl, ":-1") << "lockout entries must expire";
}

TEST_F(RedisLimitsTest, FallsBackToOwnLimitsWhileRedisIsDownAndComesBack) {
  auto a = instance("a");
  ASSERT_TRUE(wait_connected(*a));
  redis_.kill();
  // Bounded per instance, never open: 2 per minute here.
  EXPECT_FALSE(loop_.run(a->take_request("u1", 2)));
  EXPECT_TRUE(a->degraded());
  EXPECT_FALSE(loop_.run(a->take_request("u1", 2)));
  EXPECT_TRUE(loop_.run(a->take_request("u1", 2)));
  auto slot = loop_.run(a->take_slot("u1", 1));
  ASSERT_TRUE(slot);
  EXPECT_FALSE(loop_.run(a->take_slot("u1", 1)));
  a->give_back_slot("u1", *slot);
  EXPECT_TRUE(loop_.run(a->take_slot("u1", 1)));
  for (int i = 0; i < 3; ++i) loop_.run(a->login_failed("zed", "10.0.0.7"));
  EXPECT_EQ(loop_.run(a->login_locked("zed", "10.0.0.8")).value_or(0), 30);
  redis_.start();
  EXPECT_TRUE(wait_connected(*a));
  EXPECT_FALSE(loop_.run(a->take_request("u1", 2)));  // the shared bucket is fresh
  // A lock recorded during the outage still holds on this instance.
  EXPECT_EQ(loop_.run(a->login_locked("zed", "10.0.0.8")).value_or(0), 30);
}

// A server that accepts the connection but never answers: every call ends after the timeout.
TEST_F(RedisLimitsTest, ASilentServerCostsAtMostTheTimeout) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  ASSERT_GE(fd, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 16), 0);
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  auto a = instance("a", true, "redis://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)));
  for (int i = 0; i < 200; ++i) {  // wait for the TCP connection (accepted by the kernel)
    loop_.run(a->login_locked("nobody", "0.0.0.0"));
    if (a->degraded()) break;
    std::this_thread::sleep_for(25ms);
  }
  now_ += 1;
  std::this_thread::sleep_for(150ms);                 // past retry_after_failure
  EXPECT_FALSE(loop_.run(a->take_request("u1", 1)));  // answered (20 s bound in run())
  EXPECT_TRUE(a->degraded());
  EXPECT_TRUE(loop_.run(a->take_request("u1", 1)));  // by the fallback bucket
  a->stop();
  ::close(fd);
}

// The Redis helpers the limits use: a bounded wait that keeps the connection's replies in
// order, and scripts loaded again by EVAL after the server forgot them.
TEST_F(RedisLimitsTest, BoundedPipelineAndScriptsSurviveAScriptFlush) {
  redis::Client client(loop_.executor(), *redis::parse_url(redis_.url()));
  client.start();
  ASSERT_TRUE(loop_.run(client.wait_connected(10s)));
  std::vector<std::vector<std::string>> blocking;
  blocking.push_back(redis::args("BLPOP", "nothing", "1"));
  auto r = loop_.run(client.pipeline_within(std::move(blocking), 100ms));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error(), asio::error::timed_out);
  // The late BLPOP reply is dropped; the next reply goes to the next command.
  std::vector<std::vector<std::string>> ping;
  ping.push_back(redis::args("ECHO", "after"));
  auto after = loop_.run(client.pipeline_within(std::move(ping), 5s));
  ASSERT_TRUE(after);
  EXPECT_EQ(after->front().str, "after");

  redis::Script script("return tonumber(ARGV[1]) + #KEYS");
  for (int round = 0; round < 2; ++round) {
    std::vector<redis::ScriptCall> calls;
    calls.push_back({&script, redis::args("k1", "k2"), redis::args("40")});
    calls.push_back({&script, {}, redis::args("1")});
    auto replies = loop_.run(redis::run_scripts(client, std::move(calls), 5s));
    ASSERT_TRUE(replies);
    ASSERT_EQ(replies->size(), 2u);
    EXPECT_EQ((*replies)[0].integer, 42);
    EXPECT_EQ((*replies)[1].integer, 1);
    std::vector<std::vector<std::string>> exists;
    exists.push_back(redis::args("SCRIPT", "EXISTS", script.sha1()));
    auto known = loop_.run(client.pipeline_within(std::move(exists), 5s));
    ASSERT_TRUE(known);
    ASSERT_EQ(known->front().elements.size(), 1u);
    EXPECT_EQ(known->front().elements[0].integer, 1);  // loaded under the SHA-1 computed here
    EXPECT_EQ(testing::redis_inline(redis_.port(), "SCRIPT FLUSH"), "+OK");
  }
  client.stop();
}

}  // namespace
}  // namespace chatstream::auth
