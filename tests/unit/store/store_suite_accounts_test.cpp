// The backend-independent store suite, part 3: accounts (users, sessions, API tokens, usage).
#include <array>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "store/accounts.hpp"
#include "store_test_support.hpp"
#include "util/id.hpp"

namespace chatstream::store::test {
namespace {

NewUser new_user(std::string name, UserRole role = UserRole::user) {
  NewUser n;
  n.username = std::move(name);
  n.role = role;
  n.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  return n;
}

Session new_session(std::string id_hash, std::string user_id, std::int64_t now,
                    std::int64_t lifetime = 86'400'000) {
  Session s;
  s.id_hash = std::move(id_hash);
  s.user_id = std::move(user_id);
  s.created_at_ms = now;
  s.last_seen_ms = now;
  s.expires_at_ms = now + lifetime;
  s.user_agent = "test-agent/1.0";
  s.remote_address = "127.0.0.1";
  return s;
}

ApiToken new_token(std::string user_id, std::string name, std::string hash) {
  ApiToken t;
  t.user_id = std::move(user_id);
  t.name = std::move(name);
  t.prefix = "cs_" + hash.substr(0, 6);
  t.token_hash = std::move(hash);
  return t;
}

std::vector<std::string> names(const std::vector<User>& users) {
  std::vector<std::string> out;
  for (const auto& u : users) out.push_back(u.username);
  return out;
}

class AccountSuite : public StoreSuite {
 protected:
  AccountStore& accounts() { return store_->accounts(); }
  User create(const std::string& name, UserRole role = UserRole::user) {
    return sync(accounts().create_user(new_user(name, role))).value();
  }
};

TEST(AccountNames, RolesAndErrorsHaveStableNames) {
  EXPECT_EQ(to_string(UserRole::admin), "admin");
  EXPECT_EQ(to_string(UserRole::user), "user");
  EXPECT_EQ(user_role_from_string("admin"), UserRole::admin);
  EXPECT_EQ(user_role_from_string("user"), UserRole::user);
  EXPECT_FALSE(user_role_from_string("Admin").has_value());
  EXPECT_FALSE(user_role_from_string("").has_value());
  const std::error_code taken = AccountErrc::username_taken;
  EXPECT_EQ(&taken.category(), &account_category());
  EXPECT_EQ(taken.message(), "username already taken");
  EXPECT_EQ(make_error_code(AccountErrc::user_not_found).message(), "user not found");
  EXPECT_NE(std::error_code(AccountErrc::user_not_found), std::error_code(Errc::not_found));
}

TEST_P(AccountSuite, CreateGetAndFindUserCaseInsensitively) {
  EXPECT_EQ(sync(accounts().count_users()), 0);
  const User alice = create("Alice", UserRole::admin);
  EXPECT_TRUE(util::is_valid_id(alice.id));
  EXPECT_EQ(alice.username, "Alice");
  EXPECT_EQ(alice.role, UserRole::admin);
  EXPECT_FALSE(alice.disabled);
  EXPECT_EQ(alice.created_at_ms, t0);
  EXPECT_EQ(alice.updated_at_ms, t0);

  const auto got = sync(accounts().get_user(alice.id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->username, "Alice");
  EXPECT_EQ(got->role, UserRole::admin);
  EXPECT_EQ(got->password_hash, new_user("x").password_hash);
  EXPECT_FALSE(got->limits.max_concurrent.has_value());
  EXPECT_FALSE(got->limits.requests_per_minute.has_value());
  EXPECT_FALSE(got->limits.tokens_per_day.has_value());
  EXPECT_EQ(got->created_at_ms, t0);

  for (const char* spelling : {"Alice", "alice", "ALICE", "aLiCe"}) {
    const auto found = sync(accounts().find_user_by_name(spelling));
    ASSERT_TRUE(found.has_value()) << spelling;
    EXPECT_EQ(found->id, alice.id);
    EXPECT_EQ(found->username, "Alice");  // stored as given
  }
  EXPECT_FALSE(sync(accounts().find_user_by_name("alic")).has_value());
  EXPECT_FALSE(sync(accounts().find_user_by_name("alice ")).has_value());
  EXPECT_FALSE(sync(accounts().get_user(util::new_id())).has_value());
  EXPECT_FALSE(sync(accounts().get_user("local")).has_value());
  EXPECT_EQ(sync(accounts().count_users()), 1);
}

TEST_P(AccountSuite, UsernameIsTakenCaseInsensitively) {
  const User first = create("Bob");
  for (const char* spelling : {"Bob", "bob", "BOB"}) {
    const auto again = sync(accounts().create_user(new_user(spelling)));
    ASSERT_TRUE(again.has_error()) << spelling;
    EXPECT_EQ(again.error(), AccountErrc::username_taken);
  }
  EXPECT_EQ(sync(accounts().count_users()), 1);
  EXPECT_EQ(sync(accounts().find_user_by_name("bob"))->id, first.id);
  // ASCII folding only: other letters are distinct names.
  EXPECT_TRUE(sync(accounts().create_user(new_user("B\xC3\xB6"
                                                   "b")))
                  .has_value());
  EXPECT_TRUE(sync(accounts().create_user(new_user("Bob2"))).has_value());
  EXPECT_EQ(sync(accounts().count_users()), 3);
}

TEST_P(AccountSuite, ListUsersByUsername) {
  EXPECT_TRUE(sync(accounts().list_users()).empty());
  create("carol");
  create("Bob");
  create("alice2");
  create("Alice");
  create("dave");
  EXPECT_EQ(names(sync(accounts().list_users())),
            (std::vector<std::string>{"Alice", "alice2", "Bob", "carol", "dave"}));
  EXPECT_EQ(sync(accounts().count_users()), 5);
}

TEST_P(AccountSuite, UpdateUserPatchesGivenFields) {
  const User u = create("erin");
  advance(1000);
  UserPatch patch;
  patch.role = UserRole::admin;
  const User admin = sync(accounts().update_user(u.id, patch)).value();
  EXPECT_EQ(admin.role, UserRole::admin);
  EXPECT_FALSE(admin.disabled);
  EXPECT_EQ(admin.password_hash, u.password_hash);
  EXPECT_EQ(admin.username, "erin");
  EXPECT_EQ(admin.created_at_ms, t0);
  EXPECT_EQ(admin.updated_at_ms, t0 + 1000);

  patch = {};
  patch.disabled = true;
  patch.password_hash = "$argon2id$new";
  const User disabled = sync(accounts().update_user(u.id, patch)).value();
  EXPECT_TRUE(disabled.disabled);
  EXPECT_EQ(disabled.password_hash, "$argon2id$new");
  EXPECT_EQ(disabled.role, UserRole::admin);
  EXPECT_TRUE(sync(accounts().get_user(u.id))->disabled);

  patch = {};
  patch.limits = UserLimits{2, 30, 0};
  const User limited = sync(accounts().update_user(u.id, patch)).value();
  EXPECT_EQ(limited.limits.max_concurrent, 2);
  EXPECT_EQ(limited.limits.requests_per_minute, 30);
  EXPECT_EQ(limited.limits.tokens_per_day, 0);  // 0 (unlimited) is not "unset"
  EXPECT_TRUE(limited.disabled);

  // Limits are replaced as a whole: unset ones go back to the defaults.
  patch.limits = UserLimits{std::nullopt, 5, std::nullopt};
  patch.disabled = false;
  patch.role = UserRole::user;
  const User replaced = sync(accounts().update_user(u.id, patch)).value();
  EXPECT_FALSE(replaced.limits.max_concurrent.has_value());
  EXPECT_EQ(replaced.limits.requests_per_minute, 5);
  EXPECT_FALSE(replaced.limits.tokens_per_day.has_value());
  EXPECT_FALSE(replaced.disabled);
  EXPECT_EQ(replaced.role, UserRole::user);

  // A patch without limits keeps them.
  patch = {};
  patch.password_hash = "$argon2id$third";
  const User kept = sync(accounts().update_user(u.id, patch)).value();
  EXPECT_EQ(kept.limits.requests_per_minute, 5);
  const auto read = sync(accounts().get_user(u.id));
  ASSERT_TRUE(read.has_value());
  EXPECT_EQ(read->limits.requests_per_minute, 5);
  EXPECT_FALSE(read->limits.max_concurrent.has_value());
  EXPECT_EQ(read->password_hash, "$argon2id$third");

  patch.limits = UserLimits{};
  EXPECT_FALSE(
      sync(accounts().update_user(u.id, patch)).value().limits.requests_per_minute.has_value());

  const auto missing = sync(accounts().update_user(util::new_id(), patch));
  ASSERT_TRUE(missing.has_error());
  EXPECT_EQ(missing.error(), AccountErrc::user_not_found);
}

TEST_P(AccountSuite, SessionsCreateGetTouchAndDelete) {
  const User u = create("frank");
  sync(accounts().create_session(new_session("hash-1", u.id, t0)));
  const auto s = sync(accounts().get_session("hash-1"));
  ASSERT_TRUE(s.has_value());
  EXPECT_EQ(s->user_id, u.id);
  EXPECT_EQ(s->created_at_ms, t0);
  EXPECT_EQ(s->last_seen_ms, t0);
  EXPECT_EQ(s->expires_at_ms, t0 + 86'400'000);
  EXPECT_EQ(s->user_agent, "test-agent/1.0");
  EXPECT_EQ(s->remote_address, "127.0.0.1");
  EXPECT_FALSE(sync(accounts().get_session("hash-2")).has_value());

  // Repeated touches of one session are coalesced; the newest time wins, never backwards.
  const auto before = store_->stats();
  accounts().touch_session("hash-1", t0 + 1000);
  accounts().touch_session("hash-1", t0 + 3000);
  accounts().touch_session("hash-1", t0 + 2000);
  accounts().touch_session("no-such-hash", t0 + 5000);  // ignored
  sync(store_->flush());
  EXPECT_EQ(sync(accounts().get_session("hash-1"))->last_seen_ms, t0 + 3000);
  EXPECT_GE(store_->stats().progress_superseded, before.progress_superseded + 2);
  accounts().touch_session("hash-1", t0 + 500);
  sync(store_->flush());
  EXPECT_EQ(sync(accounts().get_session("hash-1"))->last_seen_ms, t0 + 3000);
  EXPECT_FALSE(sync(accounts().get_session("no-such-hash")).has_value());

  EXPECT_TRUE(sync(accounts().delete_session("hash-1")));
  EXPECT_FALSE(sync(accounts().get_session("hash-1")).has_value());
  EXPECT_FALSE(sync(accounts().delete_session("hash-1")));
}

TEST_P(AccountSuite, TouchesAreCommittedWhenTheStoreCloses) {
  const User u = create("gina");
  sync(accounts().create_session(new_session("hash-g", u.id, t0)));
  ApiToken t = sync(accounts().create_api_token(new_token(u.id, "cli", "tok-g")));
  accounts().touch_session("hash-g", t0 + 777);
  accounts().touch_api_token(t.id, t0 + 888);
  reopen();
  EXPECT_EQ(sync(accounts().get_session("hash-g"))->last_seen_ms, t0 + 777);
  EXPECT_EQ(sync(accounts().find_api_token("tok-g"))->last_used_at_ms, t0 + 888);
  EXPECT_EQ(sync(accounts().get_user(u.id))->username, "gina");
}

TEST_P(AccountSuite, DeleteUserSessionsCanKeepOne) {
  const User a = create("hank");
  const User b = create("ivy");
  for (const char* h : {"a1", "a2", "a3"}) {
    sync(accounts().create_session(new_session(h, a.id, t0)));
  }
  sync(accounts().create_session(new_session("b1", b.id, t0)));

  EXPECT_EQ(sync(accounts().delete_user_sessions(a.id, std::string("a2"))), 2);
  EXPECT_FALSE(sync(accounts().get_session("a1")).has_value());
  EXPECT_TRUE(sync(accounts().get_session("a2")).has_value());
  EXPECT_FALSE(sync(accounts().get_session("a3")).has_value());
  EXPECT_TRUE(sync(accounts().get_session("b1")).has_value());
  // Keeping another user's session does not protect it, nor delete it.
  EXPECT_EQ(sync(accounts().delete_user_sessions(a.id, std::string("b1"))), 1);
  EXPECT_TRUE(sync(accounts().get_session("b1")).has_value());
  EXPECT_EQ(sync(accounts().delete_user_sessions(a.id, std::nullopt)), 0);
  EXPECT_EQ(sync(accounts().delete_user_sessions(b.id, std::nullopt)), 1);
  EXPECT_FALSE(sync(accounts().get_session("b1")).has_value());
}

TEST_P(AccountSuite, DeleteExpiredSessionsAbsoluteAndIdle) {
  const User u = create("jack");
  constexpr std::int64_t idle = 60'000;
  sync(accounts().create_session(new_session("short", u.id, t0, 10'000)));  // expires t0+10s
  sync(accounts().create_session(new_session("idle", u.id, t0)));           // seen at t0
  sync(accounts().create_session(new_session("active", u.id, t0)));
  sync(accounts().create_session(new_session("touched", u.id, t0)));
  accounts().touch_session("active", t0 + 50'000);
  sync(store_->flush());

  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 9'999, idle)), 0);
  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 10'000, idle)), 1);  // "short"
  EXPECT_FALSE(sync(accounts().get_session("short")).has_value());

  // A queued (not yet flushed) touch keeps its session alive.
  accounts().touch_session("touched", t0 + 59'000);
  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 60'000, idle)), 1);  // "idle"
  EXPECT_FALSE(sync(accounts().get_session("idle")).has_value());
  EXPECT_TRUE(sync(accounts().get_session("active")).has_value());
  ASSERT_TRUE(sync(accounts().get_session("touched")).has_value());
  EXPECT_EQ(sync(accounts().get_session("touched"))->last_seen_ms, t0 + 59'000);

  // No idle limit: only the absolute expiry counts.
  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 200'000, 0)), 0);
  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 200'000, idle)), 2);
  EXPECT_EQ(sync(accounts().delete_expired_sessions(t0 + 200'000, idle)), 0);
}

TEST_P(AccountSuite, ApiTokensAreScopedByUser) {
  const User a = create("kate");
  const User b = create("liam");
  const ApiToken t1 = sync(accounts().create_api_token(new_token(a.id, "laptop", "hash-t1")));
  EXPECT_TRUE(util::is_valid_id(t1.id));
  EXPECT_EQ(t1.user_id, a.id);
  EXPECT_EQ(t1.name, "laptop");
  EXPECT_EQ(t1.prefix, "cs_hash-t");
  EXPECT_EQ(t1.created_at_ms, t0);
  EXPECT_FALSE(t1.last_used_at_ms.has_value());
  advance(10);
  const ApiToken t2 = sync(accounts().create_api_token(new_token(a.id, "ci", "hash-t2")));
  const ApiToken t3 = sync(accounts().create_api_token(new_token(b.id, "other", "hash-t3")));

  const auto mine = sync(accounts().list_api_tokens(a.id));
  ASSERT_EQ(mine.size(), 2U);
  EXPECT_EQ(mine[0].id, t1.id);
  EXPECT_EQ(mine[1].id, t2.id);
  EXPECT_EQ(mine[1].created_at_ms, t0 + 10);
  EXPECT_EQ(mine[0].token_hash, "hash-t1");
  EXPECT_EQ(sync(accounts().list_api_tokens(b.id)).size(), 1U);
  EXPECT_TRUE(sync(accounts().list_api_tokens(util::new_id())).empty());

  const auto found = sync(accounts().find_api_token("hash-t2"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, t2.id);
  EXPECT_EQ(found->user_id, a.id);
  EXPECT_EQ(found->name, "ci");
  EXPECT_FALSE(sync(accounts().find_api_token("hash-t4")).has_value());

  accounts().touch_api_token(t2.id, t0 + 100);
  accounts().touch_api_token(t2.id, t0 + 300);
  accounts().touch_api_token(t2.id, t0 + 200);
  sync(store_->flush());
  EXPECT_EQ(sync(accounts().find_api_token("hash-t2"))->last_used_at_ms, t0 + 300);
  EXPECT_FALSE(sync(accounts().find_api_token("hash-t1"))->last_used_at_ms.has_value());

  // Another user's token behaves as unknown.
  EXPECT_FALSE(sync(accounts().delete_api_token(b.id, t1.id)));
  EXPECT_TRUE(sync(accounts().find_api_token("hash-t1")).has_value());
  EXPECT_TRUE(sync(accounts().delete_api_token(a.id, t1.id)));
  EXPECT_FALSE(sync(accounts().delete_api_token(a.id, t1.id)));
  EXPECT_FALSE(sync(accounts().find_api_token("hash-t1")).has_value());
  EXPECT_EQ(sync(accounts().list_api_tokens(a.id)).size(), 1U);
  EXPECT_TRUE(sync(accounts().find_api_token("hash-t3")).has_value());
  (void)t3;

  ApiToken given = new_token(b.id, "given id", "hash-t5");
  given.id = util::new_id();
  given.created_at_ms = t0 - 5;
  const ApiToken stored = sync(accounts().create_api_token(given));
  EXPECT_EQ(stored.id, given.id);
  EXPECT_EQ(stored.created_at_ms, t0 - 5);
}

TEST_P(AccountSuite, SessionsAndTokensNeedAnExistingUser) {
  EXPECT_THROW(sync(accounts().create_session(new_session("orphan", util::new_id(), t0))),
               StoreFailure);
  EXPECT_THROW(sync(accounts().create_api_token(new_token(util::new_id(), "x", "orphan"))),
               StoreFailure);
  // The failed writes leave the store usable.
  const User u = create("mia");
  sync(accounts().create_session(new_session("fine", u.id, t0)));
  EXPECT_TRUE(sync(accounts().get_session("fine")).has_value());
  EXPECT_FALSE(sync(accounts().get_session("orphan")).has_value());
}

TEST_P(AccountSuite, UsageAddsUpPerUserAndDay) {
  const User a = create("nina");
  const UsageDay none = sync(accounts().get_usage(a.id, "2026-01-02"));
  EXPECT_EQ(none.user_id, a.id);
  EXPECT_EQ(none.day, "2026-01-02");
  EXPECT_EQ(none.tokens, 0);
  EXPECT_EQ(none.requests, 0);

  sync(accounts().add_usage(a.id, "2026-01-02", 100, 1));
  sync(accounts().add_usage(a.id, "2026-01-02", 250, 2));
  const UsageDay day = sync(accounts().get_usage(a.id, "2026-01-02"));
  EXPECT_EQ(day.tokens, 350);
  EXPECT_EQ(day.requests, 3);
  EXPECT_EQ(sync(accounts().get_usage(a.id, "2026-01-03")).tokens, 0);

  // Usage does not need a user row: the single-user mode's "local" is counted too.
  sync(accounts().add_usage("local", "2026-01-02", 7, 1));
  sync(accounts().add_usage("local", "2026-01-01", 5, 1));
  sync(accounts().add_usage(a.id, "2026-01-03", 1, 0));
  sync(accounts().add_usage(a.id, "2026-01-04", 9, 9));
  sync(accounts().add_usage("local", "2025-12-31", 1, 1));
  EXPECT_EQ(sync(accounts().get_usage("local", "2026-01-02")).tokens, 7);

  const auto rows = sync(accounts().list_usage("2026-01-01", "2026-01-03"));
  std::vector<std::string> keys;
  for (const auto& r : rows) keys.push_back(r.day + "/" + r.user_id);
  const std::string first_user = std::min(a.id, std::string("local"));
  const std::string second_user = std::max(a.id, std::string("local"));
  EXPECT_EQ(keys, (std::vector<std::string>{"2026-01-01/local", "2026-01-02/" + first_user,
                                            "2026-01-02/" + second_user, "2026-01-03/" + a.id}));
  ASSERT_EQ(rows.size(), 4U);
  EXPECT_EQ(rows[3].tokens, 1);
  EXPECT_EQ(rows[3].requests, 0);
  EXPECT_TRUE(sync(accounts().list_usage("2026-02-01", "2026-02-28")).empty());
  EXPECT_EQ(sync(accounts().list_usage("2026-01-04", "2026-01-04")).size(), 1U);
}

TEST_P(AccountSuite, AccountTextIsNormalisedToUtf8) {
  const std::string unicode = "J\xC3\xBCrgen \xF0\x9F\x98\x80 \xE4\xB8\xAD";
  const User u = create(unicode);
  EXPECT_EQ(u.username, unicode);
  EXPECT_EQ(sync(accounts().find_user_by_name(unicode))->id, u.id);

  const std::string invalid = std::string("bad \xFF name\0x", 12);
  const std::string expected = "bad \xEF\xBF\xBD name\xEF\xBF\xBDx";
  const User odd = create(invalid);
  EXPECT_EQ(odd.username, expected);
  EXPECT_EQ(sync(accounts().get_user(odd.id))->username, expected);
  // Lookups normalise the same way.
  EXPECT_EQ(sync(accounts().find_user_by_name(invalid))->id, odd.id);
  EXPECT_EQ(sync(accounts().find_user_by_name(expected))->id, odd.id);

  Session s = new_session("hash-u", u.id, t0);
  s.user_agent = invalid;
  s.remote_address = unicode;
  sync(accounts().create_session(s));
  const auto got = sync(accounts().get_session("hash-u"));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->user_agent, expected);
  EXPECT_EQ(got->remote_address, unicode);

  const ApiToken t = sync(accounts().create_api_token(new_token(u.id, invalid, "hash-v")));
  EXPECT_EQ(t.name, expected);
  EXPECT_EQ(sync(accounts().list_api_tokens(u.id)).at(0).name, expected);
}

TEST_P(AccountSuite, ConversationsKeepWorkingForLocalAndUnknownUsers) {
  // No foreign key from conversations to users: "local" (single-user mode) has no user row.
  const Conversation local = make_conversation("mine");
  add(local, Role::user, "hello");
  const User u = create("olga");
  const Conversation theirs = make_conversation("theirs", u.id);
  EXPECT_EQ(sync(store_->list_conversations({})).conversations.size(), 1U);
  EXPECT_FALSE(sync(store_->get_conversation(u.id, local.id)).has_value());
  EXPECT_TRUE(sync(store_->get_conversation(u.id, theirs.id)).has_value());
  EXPECT_EQ(sync(store_->list_messages("local", local.id)).size(), 1U);
}

// Two instances on one database (e.g. two servers behind a load balancer): a username is
// still taken once, and usage counters add up without lost updates.
TEST_P(AccountSuite, TwoInstancesShareUsernamesAndUsage) {
  auto other = open_store(config_);
  std::array<Store*, 2> stores{store_.get(), other.get()};
  constexpr int names_count = 20;
  constexpr int adds = 40;
  std::array<std::atomic<int>, names_count> created{};
  std::atomic<int> taken{0};
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (Store* store : stores) {
    threads.emplace_back([&, store] {
      try {
        for (int i = 0; i < names_count; ++i) {
          const auto r = sync(store->accounts().create_user(new_user("Racer" + std::to_string(i))));
          if (r.has_value()) {
            created[static_cast<std::size_t>(i)].fetch_add(1);
          } else if (r.error() == AccountErrc::username_taken) {
            taken.fetch_add(1);
          }
        }
        for (int i = 0; i < adds; ++i) {
          sync(store->accounts().add_usage("shared-user", "2026-03-04", 10, 1));
        }
      } catch (const std::exception&) {
        failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  for (int i = 0; i < names_count; ++i) {
    EXPECT_EQ(created[static_cast<std::size_t>(i)].load(), 1) << "Racer" << i;
  }
  EXPECT_EQ(taken.load(), names_count);
  EXPECT_EQ(sync(accounts().count_users()), names_count);
  const UsageDay day = sync(other->accounts().get_usage("shared-user", "2026-03-04"));
  EXPECT_EQ(day.tokens, 2 * adds * 10);
  EXPECT_EQ(day.requests, 2 * adds);
}

INSTANTIATE_TEST_SUITE_P(Backends, AccountSuite,
                         ::testing::Values(BackendParam{"sqlite", make_sqlite_factory},
                                           BackendParam{"postgres", make_postgres_factory}),
                         [](const ::testing::TestParamInfo<BackendParam>& info) {
                           return info.param.name;
                         });

}  // namespace
}  // namespace chatstream::store::test
