#include "auth/password.hpp"

#include <gtest/gtest.h>

namespace chatstream::auth {
namespace {

TEST(Password, HashVerifyRoundTrip) {
  const auto cost = PasswordCost::minimum();
  const auto hash = hash_password("correct horse battery", cost);
  EXPECT_TRUE(hash.starts_with("$argon2id$"));
  EXPECT_TRUE(verify_password(hash, "correct horse battery"));
  EXPECT_FALSE(verify_password(hash, "correct horse batterY"));
  EXPECT_FALSE(verify_password(hash, ""));
}

TEST(Password, SaltedHashesDiffer) {
  const auto cost = PasswordCost::minimum();
  EXPECT_NE(hash_password("same password", cost), hash_password("same password", cost));
}

TEST(Password, MalformedHashNeverVerifies) {
  EXPECT_FALSE(verify_password("", "x"));
  EXPECT_FALSE(verify_password("$argon2id$garbage", "x"));
  EXPECT_FALSE(verify_password(std::string(500, 'a'), "x"));
}

TEST(Password, RehashWhenCostChanges) {
  const auto weak = hash_password("a fine password", PasswordCost::minimum());
  EXPECT_FALSE(needs_rehash(weak, PasswordCost::minimum()));
  EXPECT_TRUE(needs_rehash(weak, PasswordCost::interactive()));
  // The old hash still verifies, so a login can re-hash it with the new cost.
  EXPECT_TRUE(verify_password(weak, "a fine password"));
  const auto strong = hash_password("a fine password", PasswordCost::interactive());
  EXPECT_FALSE(needs_rehash(strong, PasswordCost::interactive()));
  EXPECT_TRUE(verify_password(strong, "a fine password"));
  EXPECT_TRUE(needs_rehash("$2b$10$notargon", PasswordCost::interactive()));
}

TEST(Password, Acceptable) {
  EXPECT_FALSE(acceptable_password("short"));
  EXPECT_TRUE(acceptable_password("12345678"));
  EXPECT_TRUE(acceptable_password(std::string(1024, 'x')));
  EXPECT_FALSE(acceptable_password(std::string(1025, 'x')));
}

TEST(Password, CostNames) {
  EXPECT_TRUE(password_cost_from_string("interactive"));
  EXPECT_TRUE(password_cost_from_string("moderate"));
  EXPECT_FALSE(password_cost_from_string("fast"));
  EXPECT_EQ(password_cost_from_string("moderate")->memlimit, PasswordCost::moderate().memlimit);
}

}  // namespace
}  // namespace chatstream::auth
