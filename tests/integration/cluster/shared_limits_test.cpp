// Multi-user mode on three instances behind nginx sharing PostgreSQL and Redis: a user's
// requests per minute, concurrent generations and login lockout are counted once for all
// instances, and the concurrency slot of a killed instance comes back after its lease.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <random>
#include <thread>

#include "integration/auth/accounts_client.hpp"
#include "integration/cluster/cluster.hpp"
#include "integration/cluster/fixture.hpp"

namespace chatstream::testing {
namespace {
using namespace std::chrono_literals;
namespace json = boost::json;

constexpr int A = 0, B = 1, C = 2;

class SharedLimitsTest : public ClusterFixture {
 protected:
  SharedLimitsTest()
      : ClusterFixture("limits", {"--mode", "multi-user", "--password-cost", "minimum",
                                  "--user-requests-per-minute", "3"}) {}

  // `chatstream user add` on the shared database.
  void add_user(const std::string& name, const std::string& role = "user") {
    TempDir d;
    std::ofstream(d.path() / "in") << kPassword << "\n";
    Process p(
        {cluster_server_binary().string(), "user", "add", name, "--role", role, "--password-stdin",
         "--database", pg_, "--data-dir", d.path().string(), "--password-cost", "minimum"},
        d.path() / "out", {}, d.path() / "in");
    auto code = p.wait_exit(30s);
    ASSERT_EQ(code.value_or(-1), 0) << p.log();
  }
  Client on(int i) const { return Client{cluster_->port(i), {}, {}, {}}; }
  // Logs in on instance `i`; the session (in PostgreSQL) works on every instance.
  Client logged_in(int i, const std::string& name) {
    auto c = on(i);
    auto r = c.login(name);
    EXPECT_EQ(r.status, 200) << r.body;
    return c;
  }
  static Client at(Client c, unsigned short port) {
    c.port = port;
    return c;
  }
  static HttpResponse post_message(const Client& c, const std::string& cid,
                                   const std::string& model = {}) {
    json::object body{{"content", "hello limits"}};
    if (!model.empty()) body["model"] = "oa/" + model;
    return c.call("POST", "/api/conversations/" + cid + "/messages", json::serialize(body));
  }
};

void expect_429(const HttpResponse& r, const std::string& code, int max_retry) {
  ASSERT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(std::string(json::parse(r.body).at("error").at("code").as_string()), code) << r.body;
  ASSERT_FALSE(r.header("retry-after").empty());
  const int retry = std::stoi(r.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, max_retry);
}

TEST_F(SharedLimitsTest, RequestsPerMinuteAndLoginLockoutCountOnEveryInstance) {
  add_user("alice");
  add_user("carol");
  auto alice = logged_in(A, "alice");
  auto cid = alice.new_conversation();
  for (int i : {A, B, C}) {  // 3 per minute, one on each instance
    auto here = at(alice, cluster_->port(i));
    auto r = post_message(here, cid);
    ASSERT_EQ(r.status, 201) << "instance " << i << ": " << r.body;
    here.wait_settled(cid);
  }
  for (int i : {A, B, C})
    expect_429(post_message(at(alice, cluster_->port(i)), cid), "rate_limited", 21);
  expect_429(post_message(at(alice, cluster_->nginx_port()), cid), "rate_limited", 21);

  // Login lockout (5 free failures per account): 2 wrong passwords on each instance lock
  // the account everywhere, even for the right password.
  for (int i : {A, B, C}) {
    for (int n = 0; n < 2; ++n) EXPECT_EQ(on(i).login("carol", "wrong password").status, 401);
  }
  for (int i : {A, B, C}) expect_429(on(i).login("carol"), "too_many_login_attempts", 60);
  EXPECT_EQ(on(B).login("alice").status, 200);  // another account is not affected
}

TEST_F(SharedLimitsTest, ConcurrentGenerationsAreSharedAndADeadInstanceSlotComesBack) {
  add_user("bob");
  add_user("root", "admin");
  auto root = logged_in(A, "root");
  std::string bob_id;
  const auto users = root.json("GET", "/api/admin/users", {}, 200);
  for (const auto& u : users.at("users").as_array()) {
    if (u.at("username").as_string() == "bob") bob_id = std::string(u.at("id").as_string());
  }
  ASSERT_FALSE(bob_id.empty());
  auto patched = root.call("PATCH", "/api/admin/users/" + bob_id,
                           R"({"limits":{"requests_per_minute":0,"max_concurrent":1}})");
  ASSERT_EQ(patched.status, 200) << patched.body;

  auto bob = logged_in(A, "bob");
  auto c1 = bob.new_conversation();
  auto c2 = bob.new_conversation();
  const std::string slow = "fake:tokens=3000,delay_ms=10";
  auto first = post_message(at(bob, cluster_->port(A)), c1, slow);
  ASSERT_EQ(first.status, 201) << first.body;
  const std::string mid =
      std::string(json::parse(first.body).at("assistant_message").at("id").as_string());
  for (int i : {B, C}) {
    expect_429(post_message(at(bob, cluster_->port(i)), c2, slow), "too_many_generations", 60);
  }
  // Stopped on B (forwarded to A): the slot is given back, another instance may take it.
  ASSERT_EQ(
      at(bob, cluster_->port(B)).call("POST", "/api/messages/" + mid + "/cancel", "{}").status,
      200);
  int status = 0;
  for (int n = 0; n < 200 && status != 201; ++n) {  // the cancel reaches A asynchronously
    status = post_message(at(bob, cluster_->port(C)), c2, slow).status;
    if (status != 201) std::this_thread::sleep_for(50ms);
  }
  ASSERT_EQ(status, 201);
  expect_429(post_message(at(bob, cluster_->port(A)), c1, slow), "too_many_generations", 60);

  // C dies holding the slot: it comes back after the lease (2 s here) without any clean-up.
  cluster_->kill(C);
  auto c3 = bob.new_conversation();
  expect_429(post_message(at(bob, cluster_->port(B)), c3, slow), "too_many_generations", 60);
  status = 0;
  for (int n = 0; n < 300 && status != 201; ++n) {  // at most ~15 s
    status = post_message(at(bob, cluster_->port(B)), c3, "fake:tokens=5,delay_ms=1").status;
    if (status != 201) std::this_thread::sleep_for(50ms);
  }
  EXPECT_EQ(status, 201);
}

}  // namespace
}  // namespace chatstream::testing
