// Per-user limits: requests per minute, concurrent generations, tokens per day (REST and /v1),
// each answered 429 with Retry-After and the documented code; per-user overrides by an admin.
// (The day boundary of the budget is unit-tested with an injected clock: tests/unit/auth.)
#include <gtest/gtest.h>

#include "accounts_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

const std::string kChat =
    R"({"model":"simulated","messages":[{"role":"user","content":"count to three"}]})";

void expect_429(const HttpResponse& r, const std::string& code, int max_retry) {
  EXPECT_EQ(r.status, 429) << r.body;
  if (r.status != 429) return;
  EXPECT_EQ(std::string(json::parse(r.body).at("error").at("code").as_string()), code) << r.body;
  EXPECT_EQ(json::parse(r.body).at("error").at("type"), "rate_limit_error") << r.body;
  ASSERT_FALSE(r.header("retry-after").empty());
  const int retry = std::stoi(r.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, max_retry);
}

TEST_F(MultiUserTest, RequestsPerMinute) {
  add_user("alice");
  add_user("bob");
  add_user("root", "admin");
  start({"--user-requests-per-minute", "2"});
  auto alice = logged_in("alice");
  auto cid = alice.new_conversation();
  auto [uid, mid] = alice.send(cid);
  alice.wait_settled(cid);
  alice.send(cid);
  alice.wait_settled(cid);
  auto third = alice.call("POST", "/api/conversations/" + cid + "/messages", R"({"content":"x"})");
  expect_429(third, "rate_limited", 30);
  expect_429(alice.call("POST", "/api/messages/" + mid + "/regenerate", "{}"), "rate_limited", 30);
  auto api = client();
  api.bearer = alice.create_token("t");
  expect_429(api.call("POST", "/v1/chat/completions", kChat), "rate_limited", 30);
  EXPECT_EQ(alice.wait_settled(cid).at("messages").as_array().size(), 4u);  // nothing added

  // Per user: Bob has his own bucket; an admin override gives him 1 per minute.
  auto root = logged_in("root");
  auto patched = root.call("PATCH", "/api/admin/users/" + user_id(root, "bob"),
                           R"({"limits":{"requests_per_minute":1}})");
  ASSERT_EQ(patched.status, 200) << patched.body;
  EXPECT_EQ(json::parse(patched.body).at("effective_limits").at("requests_per_minute"), 1);
  auto bob = logged_in("bob");
  auto bcid = bob.new_conversation();
  bob.send(bcid);
  bob.wait_settled(bcid);
  expect_429(bob.call("POST", "/api/conversations/" + bcid + "/messages", R"({"content":"x"})"),
             "rate_limited", 60);
  auto usage = alice.json("GET", "/api/auth/usage", {}, 200);
  EXPECT_EQ(usage.at("limits").at("requests_per_minute"), 2);
  EXPECT_GE(usage.at("today").at("requests").as_int64(), 0);
}

TEST_F(MultiUserTest, ConcurrentGenerationsPerUser) {
  add_user("alice");
  add_user("bob");
  start({"--user-max-generations", "1"}, 15);  // slow answers
  auto alice = logged_in("alice");
  auto bob = logged_in("bob");
  auto c1 = alice.new_conversation();
  auto c2 = alice.new_conversation();
  auto [u1, m1] = alice.send(c1, "Write a long essay about mountains");
  expect_429(alice.call("POST", "/api/conversations/" + c2 + "/messages", R"({"content":"x"})"),
             "too_many_generations", 60);
  auto api = client();
  api.bearer = alice.create_token("t");
  expect_429(api.call("POST", "/v1/chat/completions", kChat), "too_many_generations", 60);
  // Bob is not affected.
  auto bcid = bob.new_conversation();
  bob.send(bcid);
  // Once Alice's answer is stopped, her slot is free again.
  EXPECT_EQ(alice.call("POST", "/api/messages/" + m1 + "/cancel", "{}").status, 200);
  int status = 0;
  for (int i = 0; i < 100 && status != 201; ++i) {
    status =
        alice.call("POST", "/api/conversations/" + c2 + "/messages", R"({"content":"x"})").status;
    if (status != 201) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(status, 201);
}

TEST_F(MultiUserTest, TokensPerDay) {
  add_user("alice");
  add_user("root", "admin");
  start({"--user-tokens-per-day", "5", "--user-requests-per-minute", "0"});
  auto alice = logged_in("alice");
  auto cid = alice.new_conversation();
  alice.send(cid, "Tell me about the sea");
  alice.wait_settled(cid);
  // The usage is recorded when the answer ends (provider usage, or estimated).
  json::value usage;
  for (int i = 0; i < 100; ++i) {
    usage = alice.json("GET", "/api/auth/usage", {}, 200);
    if (usage.at("today").at("tokens").as_int64() >= 5) break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_GE(usage.at("today").at("tokens").as_int64(), 5) << json::serialize(usage);
  EXPECT_EQ(usage.at("today").at("requests").as_int64(), 1);
  EXPECT_EQ(usage.at("limits").at("tokens_per_day"), 5);
  auto refused =
      alice.call("POST", "/api/conversations/" + cid + "/messages", R"({"content":"x"})");
  expect_429(refused, "token_budget_exceeded", 86'400);
  auto api = client();
  api.bearer = alice.create_token("t");
  expect_429(api.call("POST", "/v1/chat/completions", kChat), "token_budget_exceeded", 86'400);

  // The admin sees the usage and lifts Alice's budget (0 = unlimited).
  auto root = logged_in("root");
  auto users = root.json("GET", "/api/admin/users", {}, 200).at("users").as_array();
  bool seen = false;
  for (const auto& u : users) {
    if (u.at("username") == "alice") {
      seen = true;
      EXPECT_GE(u.at("usage_today").at("tokens").as_int64(), 5);
    }
  }
  EXPECT_TRUE(seen);
  auto days = root.json("GET", "/api/admin/usage?days=2", {}, 200).at("days").as_array();
  ASSERT_FALSE(days.empty());
  EXPECT_EQ(days[0].at("username"), "alice");
  ASSERT_EQ(root.call("PATCH", "/api/admin/users/" + user_id(root, "alice"),
                      R"({"limits":{"tokens_per_day":0}})")
                .status,
            200);
  EXPECT_EQ(
      alice.call("POST", "/api/conversations/" + cid + "/messages", R"({"content":"x"})").status,
      201);
}

}  // namespace
}  // namespace chatstream::testing
