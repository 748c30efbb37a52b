// Per-user isolation: another user's conversation, message and token ids answer 404 on every
// endpoint (exactly like unknown ids), and nothing of the owner's changes. API tokens: /v1
// only, history captured per user, revocation.
#include <gtest/gtest.h>

#include <cstdio>

#include "accounts_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

struct Attempt {
  std::string method, target, body;
  std::vector<std::string> headers;
};

TEST_F(MultiUserTest, IsolationMatrix) {
  add_user("alice");
  add_user("bob");
  add_user("root", "admin");
  start({}, 200);  // slow enough that a second answer is still streaming during the attempts
  auto alice = logged_in("alice");
  auto bob = logged_in("bob");
  auto root = logged_in("root");

  // Alice's data: a finished exchange, a live one, an API token.
  const auto cid = alice.new_conversation("alice's secrets");
  const auto [uid, mid] = alice.send(cid, "Tell me a short story");
  const auto before = json::serialize(alice.wait_settled(cid));
  const auto live_cid = alice.new_conversation("alice live");
  const auto [live_uid, live_mid] = alice.send(live_cid, "Write a long essay about rivers");
  std::string tid;
  auto alice_api = client();
  alice_api.bearer = alice.create_token("alice script", &tid);

  const std::vector<Attempt> attempts = {
      {"GET", "/api/conversations/" + cid, {}, {}},
      {"PATCH", "/api/conversations/" + cid, R"({"title":"pwned"})", {}},
      {"PATCH", "/api/conversations/" + cid, R"({"current_leaf_id":")" + uid + R"("})", {}},
      {"DELETE", "/api/conversations/" + cid, {}, {}},
      {"GET", "/api/conversations/" + cid + "/export?format=md", {}, {}},
      {"GET", "/api/conversations/" + cid + "/export?format=json", {}, {}},
      {"POST", "/api/conversations/" + cid + "/messages", R"({"content":"hi"})", {}},
      {"POST", "/api/messages/" + mid + "/regenerate", "{}", {}},
      {"POST", "/api/messages/" + uid + "/regenerate", "{}", {}},
      {"POST", "/api/messages/" + mid + "/cancel", "{}", {}},
      {"GET", "/api/messages/" + mid + "/events", {}, {}},
      {"GET", "/api/conversations/" + live_cid, {}, {}},
      {"PATCH", "/api/conversations/" + live_cid, R"({"title":"pwned"})", {}},
      {"DELETE", "/api/conversations/" + live_cid, {}, {}},
      {"POST", "/api/conversations/" + live_cid + "/messages", R"({"content":"hi"})", {}},
      {"POST", "/api/messages/" + live_mid + "/regenerate", "{}", {}},
      {"POST", "/api/messages/" + live_mid + "/cancel", R"({"shown":1})", {}},
      {"GET", "/api/messages/" + live_mid + "/events", {}, {}},
      {"GET", "/api/messages/" + live_mid + "/events?after=1", {}, {}},
      {"GET", "/api/messages/" + live_mid + "/events", {}, {"Last-Event-ID: 2"}},
      {"DELETE", "/api/auth/tokens/" + tid, {}, {}},
  };
  int tried = 0, not_found = 0;
  for (const auto* intruder : {&bob, &root}) {
    for (const auto& a : attempts) {
      auto r = intruder->call(a.method, a.target, a.body, a.headers);
      ++tried;
      if (r.status == 404) ++not_found;
      EXPECT_EQ(r.status, 404) << a.method << " " << a.target << " -> " << r.body;
      if (r.status == 404) {
        EXPECT_EQ(json::parse(r.body).at("error").at("code"), "not_found") << a.target;
      }
    }
  }
  std::printf(
      "isolation matrix: %zu endpoints x 2 other users (user, admin) = %d attempts, %d "
      "answered 404\n",
      attempts.size(), tried, not_found);
  EXPECT_EQ(not_found, tried);
  // The live answer was still being generated during the attempts (the live paths were hit).
  bool still_streaming = false;
  const auto live_now = alice.json("GET", "/api/conversations/" + live_cid, {}, 200);
  for (const auto& m : live_now.at("messages").as_array()) {
    if (m.at("id").as_string() == live_mid) still_streaming = m.at("status") == "streaming";
  }
  EXPECT_TRUE(still_streaming);

  // The other users' lists do not show her conversations.
  for (const auto* other : {&bob, &root}) {
    auto list = other->json("GET", "/api/conversations", {}, 200);
    EXPECT_TRUE(list.at("conversations").as_array().empty());
    auto search = other->json("GET", "/api/conversations?q=alice", {}, 200);
    EXPECT_TRUE(search.at("conversations").as_array().empty());
  }
  // Answering onto her message from one's own conversation: the same answer as for an unknown id.
  const auto bob_cid = bob.new_conversation();
  auto foreign_parent = bob.call("POST", "/api/conversations/" + bob_cid + "/messages",
                                 R"({"content":"hi","parent_id":")" + mid + R"("})");
  auto unknown_parent = bob.call("POST", "/api/conversations/" + bob_cid + "/messages",
                                 R"({"content":"hi","parent_id":"01JD0000000000000000000000"})");
  EXPECT_EQ(foreign_parent.status, unknown_parent.status);
  EXPECT_EQ(foreign_parent.body, unknown_parent.body);

  // Nothing of Alice's changed.
  EXPECT_EQ(json::serialize(alice.wait_settled(cid)), before);
  auto live = alice.wait_settled(live_cid);
  EXPECT_EQ(live.at("title"), "alice live");
  for (const auto& m : live.at("messages").as_array()) {
    EXPECT_EQ(m.at("status"), "complete") << json::serialize(m);
  }
  EXPECT_EQ(live.at("messages").as_array().size(), 2u);
  EXPECT_EQ(alice.json("GET", "/api/conversations", {}, 200).at("conversations").as_array().size(),
            2u);
  EXPECT_EQ(alice_api.call("GET", "/v1/models").status, 200);
  EXPECT_EQ(alice.json("GET", "/api/auth/tokens", {}, 200).at("tokens").as_array().size(), 1u);
}

TEST_F(MultiUserTest, ApiTokensScopeV1ToTheirUser) {
  add_user("alice");
  add_user("bob");
  start({"--gateway-history"});
  auto alice = logged_in("alice");
  auto bob = logged_in("bob");
  std::string tid;
  auto token = alice.create_token("laptop", &tid);
  EXPECT_TRUE(token.starts_with("cs_"));

  auto tokens = alice.json("GET", "/api/auth/tokens", {}, 200).at("tokens").as_array();
  ASSERT_EQ(tokens.size(), 1u);
  EXPECT_EQ(tokens[0].at("prefix").as_string(), token.substr(0, 11));
  EXPECT_EQ(json::serialize(tokens).find(token), std::string::npos);  // shown once only
  EXPECT_TRUE(bob.json("GET", "/api/auth/tokens", {}, 200).at("tokens").as_array().empty());

  auto api = client();
  api.bearer = token;
  EXPECT_EQ(client().call("GET", "/v1/models").status, 401);
  auto wrong = client();
  wrong.bearer = "cs_" + std::string(43, 'A');
  EXPECT_EQ(wrong.call("GET", "/v1/models").status, 401);
  EXPECT_EQ(api.call("GET", "/api/conversations").status, 401);  // tokens are for /v1 only

  auto chat =
      api.call("POST", "/v1/chat/completions",
               R"({"model":"simulated","messages":[{"role":"user","content":"token chat"}]})");
  ASSERT_EQ(chat.status, 200) << chat.body;
  // The exchange is saved as Alice's conversation (in the background).
  json::array mine;
  for (int i = 0; i < 100 && mine.empty(); ++i) {
    mine = alice.json("GET", "/api/conversations", {}, 200).at("conversations").as_array();
    if (mine.empty()) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(mine.size(), 1u);
  EXPECT_EQ(mine[0].at("title"), "token chat");
  EXPECT_TRUE(
      bob.json("GET", "/api/conversations", {}, 200).at("conversations").as_array().empty());

  EXPECT_EQ(bob.call("DELETE", "/api/auth/tokens/" + tid).status, 404);
  EXPECT_EQ(api.call("GET", "/v1/models").status, 200);
  EXPECT_EQ(alice.call("DELETE", "/api/auth/tokens/" + tid).status, 204);
  EXPECT_EQ(api.call("GET", "/v1/models").status, 401);
  auto log = server_->log();
  EXPECT_NE(log.find("audit event=token_created"), std::string::npos);
  EXPECT_NE(log.find("audit event=token_revoked"), std::string::npos);
  EXPECT_EQ(log.find(token), std::string::npos);
}

}  // namespace
}  // namespace chatstream::testing
