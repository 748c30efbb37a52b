// Multi-user mode against the real binary: login, logout, cookie flags, expiry, CSRF, the
// setup token, access levels, lockout, disabled users, the CLI, and single-user mode unchanged.
#include <gtest/gtest.h>

#include <regex>
#include <thread>

#include "accounts_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;
namespace json = boost::json;

std::string login_body(const std::string& user, const std::string& password) {
  return json::serialize(json::object{{"username", user}, {"password", password}});
}

TEST_F(MultiUserTest, LoginLogoutAndCookieFlags) {
  add_user("alice");
  start();
  auto anon = client();
  EXPECT_EQ(anon.call("GET", "/api/conversations").status, 401);
  auto state = anon.json("GET", "/api/auth/state", {}, 200);
  EXPECT_EQ(state.at("mode").as_string(), "multi-user");
  EXPECT_TRUE(state.at("user").is_null());
  EXPECT_FALSE(state.at("setup_required").as_bool());

  // Wrong password and unknown user: the same answer.
  auto wrong = anon.call("POST", "/api/auth/login", login_body("alice", "not the password"));
  auto unknown = anon.call("POST", "/api/auth/login", login_body("nobody", kPassword));
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(unknown.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("error").at("code"), "invalid_credentials");
  EXPECT_EQ(wrong.body, unknown.body);
  EXPECT_TRUE(wrong.header("set-cookie").empty());

  auto alice = client();
  auto ok = alice.login("alice");
  ASSERT_EQ(ok.status, 200) << ok.body;
  const auto set_cookie = ok.header("set-cookie");
  EXPECT_TRUE(set_cookie.starts_with("cs_session=")) << set_cookie;
  EXPECT_NE(set_cookie.find("; HttpOnly"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; SameSite=Lax"), std::string::npos) << set_cookie;
  EXPECT_NE(set_cookie.find("; Path=/"), std::string::npos) << set_cookie;
  EXPECT_EQ(set_cookie.find("Secure"), std::string::npos) << set_cookie;
  EXPECT_EQ(json::parse(ok.body).at("user").at("username"), "alice");
  EXPECT_EQ(ok.body.find("argon2"), std::string::npos);

  state = alice.json("GET", "/api/auth/state", {}, 200);
  EXPECT_EQ(state.at("user").at("username"), "alice");
  EXPECT_EQ(state.at("user").at("role"), "user");
  alice.new_conversation();

  auto second = client();
  ASSERT_EQ(second.login("alice").status, 200);
  auto out = alice.call("POST", "/api/auth/logout");
  EXPECT_EQ(out.status, 204);
  EXPECT_NE(out.header("set-cookie").find("Max-Age=0"), std::string::npos);
  EXPECT_EQ(alice.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(second.call("GET", "/api/conversations").status, 200);  // other session lives

  // Log out other sessions.
  auto third = logged_in("alice");
  auto ended = second.json("POST", "/api/auth/logout-others", {}, 200);
  EXPECT_EQ(ended.at("ended").as_int64(), 1);
  EXPECT_EQ(third.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(second.call("GET", "/api/conversations").status, 200);

  // Audit lines, never the password.
  auto log = server_->log();
  EXPECT_NE(log.find("audit event=login_ok"), std::string::npos);
  EXPECT_NE(log.find("audit event=login_failed"), std::string::npos);
  EXPECT_NE(log.find("audit event=logout"), std::string::npos);
  EXPECT_EQ(log.find(kPassword), std::string::npos);
  EXPECT_EQ(log.find("not the password"), std::string::npos);
}

TEST_F(MultiUserTest, SecureCookieBehindTls) {
  add_user("alice");
  start({"--behind-tls"});
  auto alice = client();
  auto ok = alice.login("alice");
  ASSERT_EQ(ok.status, 200);
  EXPECT_NE(ok.header("set-cookie").find("; Secure"), std::string::npos);
}

TEST_F(MultiUserTest, IdleAndAbsoluteExpiry) {
  add_user("alice");
  start({"--session-idle", "1500ms", "--session-lifetime", "3s"});
  auto idle = logged_in("alice");
  EXPECT_EQ(idle.call("GET", "/api/conversations").status, 200);
  std::this_thread::sleep_for(1700ms);
  EXPECT_EQ(idle.call("GET", "/api/conversations").status, 401);

  // Kept busy (never idle), the session still ends at its absolute expiry.
  auto busy = logged_in("alice");
  int ok_count = 0, refused_at = -1;
  for (int i = 0; i < 16 && refused_at < 0; ++i) {
    auto r = busy.call("GET", "/api/conversations");
    if (r.status == 200) ++ok_count;
    if (r.status == 401) refused_at = i;
    std::this_thread::sleep_for(300ms);
  }
  EXPECT_GT(ok_count, 3);
  EXPECT_GE(refused_at, 0) << "the session outlived its absolute expiry";
}

TEST_F(MultiUserTest, CrossOriginStateChangeRefused) {
  add_user("alice");
  start();
  auto alice = logged_in("alice");
  const std::string port = std::to_string(server_->port());
  auto evil = alice.call("POST", "/api/conversations", "{}", {"Origin: https://evil.example"});
  EXPECT_EQ(evil.status, 403) << evil.body;
  auto fetch_site = alice.call("DELETE", "/api/conversations/01JD0000000000000000000000", {},
                               {"Sec-Fetch-Site: cross-site"});
  EXPECT_EQ(fetch_site.status, 403);
  auto logout = alice.call("POST", "/api/auth/logout", {}, {"Origin: https://evil.example"});
  EXPECT_EQ(logout.status, 403);
  EXPECT_EQ(alice.call("GET", "/api/conversations").status, 200);  // still logged in
  auto same = alice.call("POST", "/api/conversations", "{}", {"Origin: http://127.0.0.1:" + port});
  EXPECT_EQ(same.status, 201) << same.body;
  auto list = alice.json("GET", "/api/conversations", {}, 200);
  EXPECT_EQ(list.at("conversations").as_array().size(), 1u);  // the refused one was not made
}

TEST_F(MultiUserTest, SetupTokenCreatesTheFirstAdminOnce) {
  start();
  std::smatch m;
  std::string log;
  for (int i = 0; i < 50; ++i) {
    log = server_->log();
    if (std::regex_search(log, m, std::regex("/setup\\?token=([A-Za-z0-9_-]+)"))) break;
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_FALSE(m.empty()) << log;
  const std::string token = m[1];
  auto anon = client();
  EXPECT_TRUE(anon.json("GET", "/api/auth/state", {}, 200).at("setup_required").as_bool());
  auto body = [&](const std::string& t) {
    return json::serialize(
        json::object{{"token", t}, {"username", "root"}, {"password", kPassword}});
  };
  EXPECT_EQ(anon.call("POST", "/api/auth/setup", body("wrong-token")).status, 403);
  auto weak = anon.call(
      "POST", "/api/auth/setup",
      json::serialize(json::object{{"token", token}, {"username", "root"}, {"password", "short"}}));
  EXPECT_EQ(weak.status, 422);
  EXPECT_EQ(json::parse(weak.body).at("error").at("code"), "weak_password");
  auto made = anon.call("POST", "/api/auth/setup", body(token));
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(json::parse(made.body).at("role"), "admin");
  auto admin = client();
  admin.cookie = Client::cookie_of(made);
  EXPECT_EQ(admin.call("GET", "/api/admin/users").status, 200);
  auto again = anon.call("POST", "/api/auth/setup", body(token));
  EXPECT_EQ(again.status, 409);
  EXPECT_FALSE(anon.json("GET", "/api/auth/state", {}, 200).at("setup_required").as_bool());
}

TEST_F(MultiUserTest, AdminRoutesAndSelfProtection) {
  add_user("root", "admin");
  add_user("bob");
  start();
  auto root = logged_in("root");
  auto bob = logged_in("bob");
  EXPECT_EQ(bob.call("GET", "/api/admin/users").status, 403);
  EXPECT_EQ(bob.call("GET", "/metrics").status, 403);
  EXPECT_EQ(root.call("GET", "/metrics").status, 200);
  EXPECT_EQ(client().call("GET", "/healthz").status, 200);
  EXPECT_EQ(client().call("GET", "/readyz").status, 200);
  auto created = root.call("POST", "/api/admin/users",
                           R"({"username":"carol","password":"carol-password","role":"user"})");
  EXPECT_EQ(created.status, 201) << created.body;
  auto dup =
      root.call("POST", "/api/admin/users", R"({"username":"Carol","password":"carol-password"})");
  EXPECT_EQ(dup.status, 409);
  EXPECT_EQ(json::parse(dup.body).at("error").at("code"), "username_taken");
  auto weak = root.call("POST", "/api/admin/users", R"({"username":"dave","password":"x"})");
  EXPECT_EQ(weak.status, 422);
  auto carol = client();
  EXPECT_EQ(carol.login("carol", "carol-password").status, 200);
  const auto root_id = user_id(root, "root");
  auto self = root.call("PATCH", "/api/admin/users/" + root_id, R"({"disabled":true})");
  EXPECT_EQ(self.status, 422);
  EXPECT_EQ(root.call("PATCH", "/api/admin/users/" + root_id, R"({"role":"user"})").status, 422);
  // Promote bob: admin routes open for him at once.
  auto promoted =
      root.call("PATCH", "/api/admin/users/" + user_id(root, "bob"), R"({"role":"admin"})");
  EXPECT_EQ(promoted.status, 200) << promoted.body;
  EXPECT_EQ(bob.call("GET", "/api/admin/users").status, 200);
  auto log = server_->log();
  EXPECT_NE(log.find("audit event=user_created"), std::string::npos);
  EXPECT_NE(log.find("audit event=user_changed"), std::string::npos);
  EXPECT_EQ(log.find("carol-password"), std::string::npos);
}

TEST_F(MultiUserTest, PasswordChangeEndsOtherSessions) {
  add_user("alice");
  start();
  auto a1 = logged_in("alice");
  auto a2 = logged_in("alice");
  auto bad = a1.call("POST", "/api/auth/password",
                     json::serialize(json::object{{"current_password", "nope-nope"},
                                                  {"new_password", "another password"}}));
  EXPECT_EQ(bad.status, 403);
  auto ok = a1.call("POST", "/api/auth/password",
                    json::serialize(json::object{{"current_password", kPassword},
                                                 {"new_password", "another password"}}));
  EXPECT_EQ(ok.status, 204) << ok.body;
  EXPECT_EQ(a1.call("GET", "/api/conversations").status, 200);
  EXPECT_EQ(a2.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(client().login("alice").status, 401);
  EXPECT_EQ(client().login("alice", "another password").status, 200);
}

TEST_F(MultiUserTest, LoginLockoutPerAccountAndPerAddress) {
  add_user("alice");
  add_user("bob");
  start({"--login-free-attempts", "2", "--login-lockout", "2s", "--login-ip-free-attempts", "6"});
  auto anon = client();
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(anon.call("POST", "/api/auth/login", login_body("alice", "wrong-password")).status,
              401)
        << i;
  }
  // Locked: even the right password is refused until the lock passes.
  auto locked = anon.call("POST", "/api/auth/login", login_body("alice", kPassword));
  EXPECT_EQ(locked.status, 429) << locked.body;
  EXPECT_EQ(json::parse(locked.body).at("error").at("code"), "too_many_login_attempts");
  const int retry = std::stoi(locked.header("retry-after"));
  EXPECT_GE(retry, 1);
  EXPECT_LE(retry, 2);
  EXPECT_EQ(client().login("bob").status, 200);  // another account is not locked
  std::this_thread::sleep_for(std::chrono::seconds(retry) + 200ms);
  EXPECT_EQ(client().login("alice").status, 200);

  // Per address: failures over several names lock the client address out.
  for (int i = 0; i < 4; ++i) {
    anon.call("POST", "/api/auth/login", login_body("ghost" + std::to_string(i), "whatever1"));
  }
  auto by_address = anon.call("POST", "/api/auth/login", login_body("bob", kPassword));
  EXPECT_EQ(by_address.status, 429) << by_address.body;
  EXPECT_FALSE(by_address.header("retry-after").empty());
  EXPECT_NE(server_->log().find("audit event=login_locked"), std::string::npos);
}

TEST_F(MultiUserTest, DisabledUserIsRefusedAtOnce) {
  add_user("root", "admin");
  add_user("bob");
  start();
  auto root = logged_in("root");
  auto bob = logged_in("bob");
  auto bob_session2 = logged_in("bob");
  auto bob_api = client();
  bob_api.bearer = bob.create_token("script");
  EXPECT_EQ(bob_api.call("GET", "/v1/models").status, 200);

  auto r = root.call("PATCH", "/api/admin/users/" + user_id(root, "bob"), R"({"disabled":true})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(json::parse(r.body).at("disabled").as_bool());
  EXPECT_EQ(bob.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(bob_session2.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(bob_api.call("GET", "/v1/models").status, 401);
  EXPECT_EQ(client().login("bob").status, 401);
  EXPECT_NE(server_->log().find("audit event=user_disabled"), std::string::npos);

  // Enabled again (on the command line, while the server runs): the token works again; the
  // sessions ended by the disable stay ended.
  auto enabled = cli({"enable", "bob"});
  EXPECT_EQ(enabled.exit_code, 0) << enabled.output;
  EXPECT_EQ(bob_api.call("GET", "/v1/models").status, 200);
  EXPECT_EQ(bob.call("GET", "/api/conversations").status, 401);
  // Disabled on the command line: refused at once by the running server.
  auto relog = logged_in("bob");
  auto disabled = cli({"disable", "bob"});
  EXPECT_EQ(disabled.exit_code, 0) << disabled.output;
  EXPECT_EQ(relog.call("GET", "/api/conversations").status, 401);
  EXPECT_EQ(bob_api.call("GET", "/v1/models").status, 401);
}

TEST_F(MultiUserTest, CommandLine) {
  add_user("root", "admin");
  auto dup = cli({"add", "ROOT", "--password-stdin"}, kPassword + "\n");
  EXPECT_EQ(dup.exit_code, 1) << dup.output;
  EXPECT_NE(dup.output.find("already exists"), std::string::npos);
  auto weak = cli({"add", "eve", "--password-stdin"}, "short\n");
  EXPECT_EQ(weak.exit_code, 2) << weak.output;
  auto no_tty = cli({"add", "eve"});
  EXPECT_EQ(no_tty.exit_code, 2) << no_tty.output;
  EXPECT_NE(no_tty.output.find("--password-stdin"), std::string::npos);
  auto bad_role = cli({"add", "eve", "--role", "owner", "--password-stdin"}, kPassword + "\n");
  EXPECT_EQ(bad_role.exit_code, 2);
  auto unknown = cli({"passwd", "nobody", "--password-stdin"}, kPassword + "\n");
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_EQ(cli({"disable", "nobody"}).exit_code, 1);
  EXPECT_EQ(cli({"frobnicate"}).exit_code, 2);
  add_user("eve");
  auto list = cli({"list"});
  EXPECT_EQ(list.exit_code, 0);
  EXPECT_NE(list.output.find("root"), std::string::npos);
  EXPECT_NE(list.output.find("eve"), std::string::npos);
  EXPECT_EQ(list.output.find("argon2"), std::string::npos);
  auto pw = cli({"passwd", "eve", "--password-stdin"}, "a brand new password\n");
  EXPECT_EQ(pw.exit_code, 0) << pw.output;
  start();
  EXPECT_EQ(client().login("eve").status, 401);
  EXPECT_EQ(client().login("eve", "a brand new password").status, 200);
}

TEST_F(MultiUserTest, LoginRehashesWhenTheCostChanged) {
  add_user("alice");  // hashed with the minimum cost
  start({"--password-cost", "interactive"});
  EXPECT_EQ(client().login("alice").status, 200);
  EXPECT_NE(server_->log().find("audit event=password_rehashed"), std::string::npos);
  EXPECT_EQ(client().login("alice").status, 200);
  auto log = server_->log();
  EXPECT_EQ(log.find("password_rehashed"), log.rfind("password_rehashed"));  // once
}

TEST(SingleUserMode, UnchangedAndAccountsRoutesSayNotMultiUser) {
  ChatstreamServer server;
  Client local{server.port(), {}, {}, {}};
  auto state = local.json("GET", "/api/auth/state", {}, 200);
  EXPECT_EQ(state.at("mode").as_string(), "single-user");
  EXPECT_EQ(state.at("user").at("id").as_string(), "local");
  EXPECT_EQ(state.at("user").at("role").as_string(), "admin");
  auto login = local.call("POST", "/api/auth/login", login_body("local", kPassword));
  EXPECT_EQ(login.status, 409);
  EXPECT_EQ(json::parse(login.body).at("error").at("code"), "not_multi_user");
  EXPECT_EQ(local.call("GET", "/api/admin/users").status, 409);
  EXPECT_EQ(local.call("GET", "/metrics").status, 200);
  auto cid = local.new_conversation();
  EXPECT_EQ(local.call("GET", "/api/conversations/" + cid).status, 200);
}

TEST(SingleUserMode, RefusesANonLoopbackBind) {
  TempDir dir;
  Process p({built_program("src/app/chatstream").string(), "--bind", "0.0.0.0", "--port", "0",
             "--data-dir", (dir.path() / "data").string()},
            dir.path() / "log");
  auto code = p.wait_exit(std::chrono::seconds(20));
  ASSERT_TRUE(code);
  EXPECT_EQ(*code, 2);
  EXPECT_NE(p.log().find("--mode multi-user"), std::string::npos) << p.log();
}

}  // namespace
}  // namespace chatstream::testing
