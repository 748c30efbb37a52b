#include "auth/limits.hpp"

#include <gtest/gtest.h>

#include <map>

namespace chatstream::auth {
namespace {

// 2026-11-24T23:59:00Z
constexpr std::int64_t kLateEvening = 1'795'564'740'000;

struct FakeClock {
  std::int64_t now = kLateEvening;
  Clock clock() {
    return [this] { return now; };
  }
};

TEST(UtcDay, FormatsAndBoundaries) {
  EXPECT_EQ(utc_day(0), "1970-01-01");
  EXPECT_EQ(utc_day(kLateEvening), "2026-11-24");
  EXPECT_EQ(utc_day(kLateEvening + 60'000 - 1), "2026-11-24");
  EXPECT_EQ(utc_day(kLateEvening + 60'000), "2026-11-25");
  EXPECT_EQ(utc_day(-1), "1969-12-31");
  EXPECT_EQ(seconds_to_next_utc_day(kLateEvening), 60);
  EXPECT_EQ(seconds_to_next_utc_day(kLateEvening + 59'500), 1);
  EXPECT_EQ(seconds_to_next_utc_day(kLateEvening + 60'000), 86'400);
}

TEST(DailyBudget, RefusesWhenUsedUpAndResetsAtMidnight) {
  FakeClock fake;
  // Usage per UTC day, as the store keeps it.
  std::map<std::string, std::int64_t> usage;
  const std::int64_t limit = 1000;
  auto admit = [&]() { return budget_retry_after(usage[utc_day(fake.now)], limit, fake.now); };
  EXPECT_FALSE(admit());
  usage[utc_day(fake.now)] += 999;
  EXPECT_FALSE(admit());
  usage[utc_day(fake.now)] += 5;
  auto wait = admit();
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 60);  // until midnight UTC
  fake.now += 30'000;
  EXPECT_EQ(admit().value_or(0), 30);
  fake.now += 30'000;  // 00:00:00 the next day
  EXPECT_FALSE(admit());
  EXPECT_FALSE(budget_retry_after(1'000'000, 0, fake.now));  // 0 = unlimited
}

TEST(DailyBudget, EstimatesFourCharactersPerToken) {
  EXPECT_EQ(estimate_tokens(0), 0);
  EXPECT_EQ(estimate_tokens(1), 1);
  EXPECT_EQ(estimate_tokens(8), 2);
  EXPECT_EQ(estimate_tokens(9), 3);
}

TEST(RateLimiter, BucketEmptiesAndRefills) {
  FakeClock fake;
  RateLimiter limiter(fake.clock());
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(limiter.acquire("u1", 6)) << i;
  auto wait = limiter.acquire("u1", 6);
  ASSERT_TRUE(wait);
  EXPECT_EQ(*wait, 10);                    // one token per 10 s
  EXPECT_FALSE(limiter.acquire("u2", 6));  // per key
  fake.now += 9'000;
  EXPECT_EQ(limiter.acquire("u1", 6).value_or(0), 1);
  fake.now += 1'000;
  EXPECT_FALSE(limiter.acquire("u1", 6));
  EXPECT_TRUE(limiter.acquire("u1", 6));
  fake.now += 3'600'000;  // full again, never beyond capacity
  for (int i = 0; i < 6; ++i) EXPECT_FALSE(limiter.acquire("u1", 6));
  EXPECT_TRUE(limiter.acquire("u1", 6));
}

TEST(RateLimiter, ZeroIsUnlimitedAndTableStaysBounded) {
  FakeClock fake;
  RateLimiter limiter(fake.clock(), 10);
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(limiter.acquire("u", 0));
  for (int i = 0; i < 50; ++i) {
    fake.now += 61'000;
    EXPECT_FALSE(limiter.acquire("k" + std::to_string(i), 1));
  }
}

TEST(ConcurrencyLimiter, CountsPerKey) {
  ConcurrencyLimiter c;
  EXPECT_TRUE(c.try_acquire("a", 2));
  EXPECT_TRUE(c.try_acquire("a", 2));
  EXPECT_FALSE(c.try_acquire("a", 2));
  EXPECT_TRUE(c.try_acquire("b", 2));
  EXPECT_EQ(c.running("a"), 2);
  c.release("a");
  EXPECT_TRUE(c.try_acquire("a", 2));
  c.release("a");
  c.release("a");
  c.release("a");  // extra releases are harmless
  EXPECT_EQ(c.running("a"), 0);
  for (int i = 0; i < 100; ++i) EXPECT_TRUE(c.try_acquire("u", 0));  // 0 = unlimited
  EXPECT_FALSE(c.try_acquire("z", 0) == false);
}

TEST(LoginLockout, ExponentialGrowthCappedAndReset) {
  FakeClock fake;
  LockoutPolicy policy{.free_failures = 3, .base_ms = 1000, .max_ms = 8000, .forget_ms = 60'000};
  LoginLockout lockout(policy, fake.clock());
  const std::string key = "user:alice";
  for (int i = 0; i < 3; ++i) {
    EXPECT_FALSE(lockout.locked(key));
    lockout.record_failure(key);
  }
  EXPECT_FALSE(lockout.locked(key));  // three free failures
  std::vector<std::int64_t> locks;
  for (int i = 0; i < 6; ++i) {
    lockout.record_failure(key);
    auto wait = lockout.locked(key);
    ASSERT_TRUE(wait);
    locks.push_back(*wait);
    fake.now += *wait * 1000;  // wait it out
    EXPECT_FALSE(lockout.locked(key));
  }
  EXPECT_EQ(locks, (std::vector<std::int64_t>{1, 2, 4, 8, 8, 8}));
  EXPECT_FALSE(lockout.locked("user:bob"));
  lockout.reset(key);
  EXPECT_EQ(lockout.failures(key), 0);
  lockout.record_failure(key);
  EXPECT_FALSE(lockout.locked(key));
}

TEST(LoginLockout, OldFailuresAreForgotten) {
  FakeClock fake;
  LockoutPolicy policy{.free_failures = 2, .base_ms = 1000, .max_ms = 8000, .forget_ms = 60'000};
  LoginLockout lockout(policy, fake.clock());
  lockout.record_failure("ip:1.2.3.4");
  lockout.record_failure("ip:1.2.3.4");
  fake.now += 61'000;
  lockout.record_failure("ip:1.2.3.4");
  EXPECT_EQ(lockout.failures("ip:1.2.3.4"), 1);
  EXPECT_FALSE(lockout.locked("ip:1.2.3.4"));
}

}  // namespace
}  // namespace chatstream::auth
