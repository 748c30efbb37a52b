// The accounts service over a real SQLite account store, with an injected clock: the daily
// budget resets at UTC midnight, rate and concurrency limits, usage recorded by tickets,
// session expiry, login lockout growth, disabled users refused by the guard at once.
#include "auth/service.hpp"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>

#include "auth/secrets.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"
#include "support/process.hpp"

namespace chatstream::auth {
namespace {

namespace asio = boost::asio;
constexpr std::int64_t kLateEvening = 1'795'564'740'000;  // 2026-11-24T23:59:00Z

class ServiceTest : public ::testing::Test {
 protected:
  void make(AuthSettings settings) {
    settings.mode = Mode::multi_user;
    settings.password_cost = PasswordCost::minimum();
    store::StoreConfig config;
    config.url = (dir_.path() / "accounts.db").string();
    config.clock = [this] { return now_; };
    store_ = store::open_store(config);
    accounts_ = std::make_unique<Accounts>(settings, &store_->accounts(), ioc_.get_executor(),
                                           std::make_shared<spdlog::logger>("test"),
                                           [this] { return now_; });
    store::NewUser nu;
    nu.username = "alice";
    nu.password_hash = hash_password("alice's password", PasswordCost::minimum());
    alice_ = run(store_->accounts().create_user(std::move(nu))).value();
  }
  void TearDown() override {
    accounts_.reset();
    drain();
  }
  template <class T>
  T run(asio::awaitable<T> op) {
    auto f = asio::co_spawn(ioc_, std::move(op), asio::use_future);
    ioc_.restart();
    ioc_.run();
    return f.get();
  }
  void drain() {  // background writes (usage records)
    ioc_.restart();
    ioc_.run();
    if (store_) run(store_->flush());
  }
  Refusal refused(std::variant<std::shared_ptr<GenerationTicket>, Refusal> v) {
    EXPECT_TRUE(std::holds_alternative<Refusal>(v));
    return std::holds_alternative<Refusal>(v) ? std::get<Refusal>(v) : Refusal{};
  }
  std::shared_ptr<GenerationTicket> admitted(
      std::variant<std::shared_ptr<GenerationTicket>, Refusal> v) {
    EXPECT_TRUE(std::holds_alternative<std::shared_ptr<GenerationTicket>>(v))
        << std::get<Refusal>(v).code;
    return std::holds_alternative<Refusal>(v) ? nullptr
                                              : std::get<std::shared_ptr<GenerationTicket>>(v);
  }
  std::optional<http::Response> guard_with(const std::string& cookie_or_bearer, bool v1 = false) {
    http::Request req;
    req.method = "GET";
    req.path = v1 ? "/v1/models" : "/api/conversations";
    if (v1) {
      req.headers.emplace_back("authorization", "Bearer " + cookie_or_bearer);
    } else {
      req.headers.emplace_back("cookie", "theme=dark; cs_session=" + cookie_or_bearer);
    }
    return run(accounts_->guard(&req, http::Access::user));
  }

  chatstream::testing::TempDir dir_;
  std::int64_t now_ = kLateEvening;
  asio::io_context ioc_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<Accounts> accounts_;
  store::User alice_;
};

TEST_F(ServiceTest, BudgetResetsAtUtcMidnight) {
  AuthSettings s;
  s.limits = {0, 0, 100};
  make(s);
  run(store_->accounts().add_usage(alice_.id, utc_day(now_), 100, 3));
  auto r = refused(run(accounts_->admit_generation(alice_.id)));
  EXPECT_EQ(r.status, 429u);
  EXPECT_EQ(r.code, "token_budget_exceeded");
  EXPECT_EQ(r.retry_after_s, 60);
  now_ += 30'000;
  EXPECT_EQ(refused(run(accounts_->admit_generation(alice_.id))).retry_after_s, 30);
  now_ += 30'000;  // 00:00 UTC: a new day, a new budget
  EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
}

TEST_F(ServiceTest, TicketsRecordReportedOrEstimatedUsage) {
  make({});
  {
    auto t = admitted(run(accounts_->admit_generation(alice_.id)));
    ASSERT_TRUE(t);
    t->add_completion_chars(1000);
    t->set_usage(10, 20);  // the provider's numbers win
  }
  {
    auto t = admitted(run(accounts_->admit_generation(alice_.id)));
    ASSERT_TRUE(t);
    t->add_prompt_chars(40);
    t->add_completion_chars(9);
    EXPECT_EQ(t->tokens(), 13);
  }
  drain();
  auto usage = run(store_->accounts().get_usage(alice_.id, utc_day(now_)));
  EXPECT_EQ(usage.tokens, 43);
  EXPECT_EQ(usage.requests, 2);
}

TEST_F(ServiceTest, RateLimitRefillsWithTime) {
  AuthSettings s;
  s.limits = {0, 2, 0};
  make(s);
  EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
  EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
  auto r = refused(run(accounts_->admit_generation(alice_.id)));
  EXPECT_EQ(r.code, "rate_limited");
  EXPECT_EQ(r.retry_after_s, 30);
  now_ += 30'000;
  EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
}

TEST_F(ServiceTest, PerUserOverrideWinsOverDefault) {
  AuthSettings s;
  s.limits = {0, 1, 0};
  make(s);
  store::UserPatch patch;
  patch.limits = store::UserLimits{std::nullopt, 0, std::nullopt};  // unlimited for alice
  run(store_->accounts().update_user(alice_.id, patch));
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
}

TEST_F(ServiceTest, ConcurrencySlotComesBackWithTheTicket) {
  AuthSettings s;
  s.limits = {1, 0, 0};
  make(s);
  auto first = admitted(run(accounts_->admit_generation(alice_.id)));
  EXPECT_EQ(run(accounts_->running_generations(alice_.id)), 1);
  auto r = refused(run(accounts_->admit_generation(alice_.id)));
  EXPECT_EQ(r.code, "too_many_generations");
  EXPECT_GT(r.retry_after_s, 0);
  first.reset();
  EXPECT_EQ(run(accounts_->running_generations(alice_.id)), 0);
  EXPECT_TRUE(admitted(run(accounts_->admit_generation(alice_.id))));
}

TEST_F(ServiceTest, SessionsExpireWhenIdleAndAtTheirLifetime) {
  AuthSettings s;
  s.session_idle = std::chrono::minutes(10);
  s.session_absolute = std::chrono::minutes(25);
  s.touch_interval = std::chrono::minutes(1);
  make(s);
  http::Request login_req;
  auto secret = run(accounts_->start_session(alice_, login_req));
  EXPECT_FALSE(guard_with(secret));
  EXPECT_EQ(guard_with("not-a-session")->status, 401u);
  for (int i = 0; i < 4; ++i) {  // used every 6 minutes: never idle
    now_ += 6 * 60'000;
    drain();
    EXPECT_FALSE(guard_with(secret)) << i;
  }
  now_ += 2 * 60'000;  // 26 minutes after login
  EXPECT_EQ(guard_with(secret)->status, 401u);

  auto idle = run(accounts_->start_session(alice_, login_req));
  now_ += 10 * 60'000;
  EXPECT_EQ(guard_with(idle)->status, 401u);
}

TEST_F(ServiceTest, LoginLockoutGrowsExponentially) {
  AuthSettings s;
  s.account_lockout = {.free_failures = 2, .base_ms = 1000, .max_ms = 4000, .forget_ms = 60'000};
  s.address_lockout = {.free_failures = 100};
  make(s);
  auto attempt = [&](const std::string& password) {
    return run(accounts_->login("alice", password, "192.0.2.1"));
  };
  EXPECT_EQ(std::get<Refusal>(attempt("wrong")).code, "invalid_credentials");
  EXPECT_EQ(std::get<Refusal>(attempt("wrong")).code, "invalid_credentials");
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(std::get<Refusal>(attempt("wrong")).code, "invalid_credentials");
    auto locked = std::get<Refusal>(attempt("alice's password"));
    EXPECT_EQ(locked.code, "too_many_login_attempts");
    waits.push_back(locked.retry_after_s);
    now_ += locked.retry_after_s * 1000;
  }
  EXPECT_EQ(waits, (std::vector<std::int64_t>{1, 2, 4, 4}));
  EXPECT_TRUE(std::holds_alternative<store::User>(attempt("alice's password")));
}

TEST_F(ServiceTest, DisabledUserRefusedAtOnce) {
  make({});
  http::Request login_req;
  auto secret = run(accounts_->start_session(alice_, login_req));
  auto token = new_api_token();
  store::ApiToken t;
  t.user_id = alice_.id;
  t.name = "t";
  t.prefix = token_prefix(token);
  t.token_hash = secret_hash(token);
  run(store_->accounts().create_api_token(t));
  EXPECT_FALSE(guard_with(secret));
  EXPECT_FALSE(guard_with(token, true));
  EXPECT_EQ(guard_with(token)->status, 401u);  // a token is not a session
  store::UserPatch patch;
  patch.disabled = true;
  run(store_->accounts().update_user(alice_.id, patch));
  EXPECT_EQ(guard_with(secret)->status, 401u);
  EXPECT_EQ(guard_with(token, true)->status, 401u);
  EXPECT_EQ(refused(run(accounts_->admit_generation(alice_.id))).status, 401u);
}

}  // namespace
}  // namespace chatstream::auth
