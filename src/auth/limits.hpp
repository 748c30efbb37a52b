// In-memory abuse limits with an injectable clock: per-key token buckets (requests per
// minute), concurrent-use counters, login lockout with exponential backoff, and the UTC-day
// helpers of the daily token budget. Thread-safe (one mutex each, never held across I/O).
// Memory is bounded: idle entries are dropped when a table grows past `max_keys`.
#pragma once

#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

namespace chatstream::auth {

// Milliseconds since the Unix epoch (UTC). Tests pass a fake one.
using Clock = std::function<std::int64_t()>;
Clock system_clock();

// "YYYY-MM-DD" of the UTC day containing `epoch_ms`.
std::string utc_day(std::int64_t epoch_ms);
// Whole seconds (at least 1) until the next UTC midnight after `epoch_ms`.
std::int64_t seconds_to_next_utc_day(std::int64_t epoch_ms);
// Daily budget: nullopt while `used < limit` (or limit 0 = unlimited), else the Retry-After
// in seconds (until the budget resets at the next UTC midnight).
std::optional<std::int64_t> budget_retry_after(std::int64_t used, std::int64_t limit,
                                               std::int64_t now_ms);
// Tokens of a text whose provider reported no usage: about four characters per token.
std::int64_t estimate_tokens(std::size_t chars) noexcept;

inline constexpr std::size_t default_max_keys = 100'000;

// Token bucket per key: capacity `per_minute`, refilled continuously at per_minute / 60 s.
class RateLimiter {
 public:
  explicit RateLimiter(Clock clock, std::size_t max_keys = default_max_keys);
  // Takes one token. nullopt: allowed. Else: Retry-After seconds (>= 1) until one is there.
  // per_minute 0 = unlimited.
  std::optional<std::int64_t> acquire(const std::string& key, std::int64_t per_minute);

 private:
  struct Bucket {
    double tokens = 0;
    std::int64_t updated_ms = 0;
    std::int64_t per_minute = 0;
  };
  void prune(std::int64_t now);
  Clock clock_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// Things running at once per key (generations per user).
class ConcurrencyLimiter {
 public:
  // False when `max` are already running (max 0 = unlimited: always true, still counted).
  bool try_acquire(const std::string& key, std::int64_t max);
  void release(const std::string& key);
  std::int64_t running(const std::string& key) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::int64_t> running_;
};

struct LockoutPolicy {
  int free_failures = 5;                 // failures allowed before the first lock
  std::int64_t base_ms = 30'000;         // first lock; each further failure doubles it
  std::int64_t max_ms = 15 * 60'000;     // longest lock
  std::int64_t forget_ms = 60 * 60'000;  // failures older than this are forgotten
};

// Failed-login counters per key ("user:alice", "ip:10.0.0.1"); after `free_failures`
// failures, every further failure locks the key for base * 2^(n - free - 1), capped at max.
class LoginLockout {
 public:
  LoginLockout(LockoutPolicy policy, Clock clock, std::size_t max_keys = default_max_keys);
  // nullopt: attempts allowed; else the Retry-After seconds (>= 1) of the current lock.
  std::optional<std::int64_t> locked(const std::string& key);
  void record_failure(const std::string& key);
  void reset(const std::string& key);
  int failures(const std::string& key);

 private:
  struct Entry {
    int failures = 0;
    std::int64_t last_failure_ms = 0;
    std::int64_t locked_until_ms = 0;
  };
  void forget_stale(std::int64_t now);
  LockoutPolicy policy_;
  Clock clock_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Entry> entries_;
};

}  // namespace chatstream::auth
