#include "auth/limits.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "util/time.hpp"

namespace chatstream::auth {

namespace {
constexpr std::int64_t kDayMs = 86'400'000;

std::int64_t floor_div(std::int64_t a, std::int64_t b) {
  return a / b - ((a % b != 0) && ((a < 0) != (b < 0)) ? 1 : 0);
}

std::int64_t ceil_seconds(double ms) {
  return std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(ms / 1000.0)));
}
}  // namespace

Clock system_clock() {
  return [] { return util::now_epoch_ms(); };
}

std::string utc_day(std::int64_t epoch_ms) {
  using namespace std::chrono;
  const sys_days day{days{floor_div(epoch_ms, kDayMs)}};
  const year_month_day ymd{day};
  char out[16];
  std::snprintf(out, sizeof out, "%04d-%02u-%02u", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()));
  return out;
}

std::int64_t seconds_to_next_utc_day(std::int64_t epoch_ms) {
  const std::int64_t next = (floor_div(epoch_ms, kDayMs) + 1) * kDayMs;
  return ceil_seconds(static_cast<double>(next - epoch_ms));
}

std::optional<std::int64_t> budget_retry_after(std::int64_t used, std::int64_t limit,
                                               std::int64_t now_ms) {
  if (limit <= 0 || used < limit) return std::nullopt;
  return seconds_to_next_utc_day(now_ms);
}

std::int64_t estimate_tokens(std::size_t chars) noexcept {
  return static_cast<std::int64_t>((chars + 3) / 4);
}

RateLimiter::RateLimiter(Clock clock, std::size_t max_keys)
    : clock_(std::move(clock)), max_keys_(max_keys) {}

std::optional<std::int64_t> RateLimiter::acquire(const std::string& key, std::int64_t per_minute) {
  if (per_minute <= 0) return std::nullopt;
  const std::int64_t now = clock_();
  const double capacity = static_cast<double>(per_minute);
  const double per_ms = capacity / 60'000.0;
  std::lock_guard lock(mutex_);
  auto it = buckets_.find(key);
  if (it == buckets_.end()) {
    if (buckets_.size() >= max_keys_) prune(now);
    it = buckets_.emplace(key, Bucket{capacity, now, per_minute}).first;
  }
  Bucket& b = it->second;
  if (b.per_minute != per_minute) {  // the limit changed: keep the fill ratio's spirit simple
    b.tokens = std::min(b.tokens, capacity);
    b.per_minute = per_minute;
  }
  const auto elapsed = static_cast<double>(std::max<std::int64_t>(0, now - b.updated_ms));
  b.tokens = std::min(capacity, b.tokens + elapsed * per_ms);
  b.updated_ms = now;
  if (b.tokens >= 1.0) {
    b.tokens -= 1.0;
    return std::nullopt;
  }
  return ceil_seconds((1.0 - b.tokens) / per_ms);
}

void RateLimiter::prune(std::int64_t now) {
  // Buckets that have refilled completely carry no information.
  std::erase_if(buckets_, [now](const auto& kv) {
    const auto& b = kv.second;
    return static_cast<double>(now - b.updated_ms) >= 60'000.0;
  });
}

bool ConcurrencyLimiter::try_acquire(const std::string& key, std::int64_t max) {
  std::lock_guard lock(mutex_);
  auto& n = running_[key];
  if (max > 0 && n >= max) {
    if (n == 0) running_.erase(key);
    return false;
  }
  ++n;
  return true;
}

void ConcurrencyLimiter::release(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = running_.find(key);
  if (it == running_.end()) return;
  if (--it->second <= 0) running_.erase(it);
}

std::int64_t ConcurrencyLimiter::running(const std::string& key) const {
  std::lock_guard lock(mutex_);
  auto it = running_.find(key);
  return it == running_.end() ? 0 : it->second;
}

LoginLockout::LoginLockout(LockoutPolicy policy, Clock clock, std::size_t max_keys)
    : policy_(policy), clock_(std::move(clock)), max_keys_(max_keys) {}

std::optional<std::int64_t> LoginLockout::locked(const std::string& key) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.locked_until_ms <= now) return std::nullopt;
  return ceil_seconds(static_cast<double>(it->second.locked_until_ms - now));
}

void LoginLockout::record_failure(const std::string& key) {
  const std::int64_t now = clock_();
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  if (it == entries_.end()) {
    if (entries_.size() >= max_keys_) forget_stale(now);
    it = entries_.emplace(key, Entry{}).first;
  }
  Entry& e = it->second;
  if (e.failures > 0 && now - e.last_failure_ms > policy_.forget_ms) e = Entry{};
  ++e.failures;
  e.last_failure_ms = now;
  const int over = e.failures - policy_.free_failures;
  if (over > 0) {
    const int shift = std::min(over - 1, 30);
    const std::int64_t lock_ms = std::min(policy_.max_ms, policy_.base_ms << shift);
    e.locked_until_ms = now + lock_ms;
  }
}

void LoginLockout::reset(const std::string& key) {
  std::lock_guard lock(mutex_);
  entries_.erase(key);
}

int LoginLockout::failures(const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find(key);
  return it == entries_.end() ? 0 : it->second.failures;
}

void LoginLockout::forget_stale(std::int64_t now) {
  std::erase_if(entries_, [&](const auto& kv) {
    return kv.second.locked_until_ms <= now && now - kv.second.last_failure_ms > policy_.forget_ms;
  });
  if (entries_.size() >= max_keys_) {
    // Still full (an attack on many keys): drop the unlocked ones.
    std::erase_if(entries_, [now](const auto& kv) { return kv.second.locked_until_ms <= now; });
  }
}

}  // namespace chatstream::auth
