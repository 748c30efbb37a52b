// The abuse limits shared by every instance through Redis: one Lua script per operation, so
// each check-and-take is atomic across instances.
//
// - requests per minute: a token bucket per user (hash tokens/ts), refilled continuously;
// - concurrent generations: a sorted set per user of slot ids scored by their expiry; the
//   holding instance refreshes its slots every lease/3, so the slots of a crashed instance
//   come back after the lease; a finished generation removes its slot;
// - login lockout: a hash per account and per client address (failures, last failure,
//   locked until), the exponential policy of LoginLockout.
//
// Time is the Redis server's (TIME inside the scripts): instances with skewed clocks still
// agree on refills, expiries and locks. Tests may inject a clock instead.
//
// When Redis is unreachable, slow (no answer within `timeout`) or answers with an error, the
// call falls back to the per-instance MemoryLimits (a warning is logged once per outage) and
// Redis is not asked again for `retry_after_failure`: requests never wait longer than the
// timeout, and limits stay bounded (per instance) instead of failing open.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include "auth/backend.hpp"

namespace spdlog {
class logger;
}
namespace chatstream::redis {
class Client;
struct ScriptCall;
}  // namespace chatstream::redis

namespace chatstream::auth {

struct RedisLimitsSettings {
  std::string redis_url;                                // redis://host:port[/db]
  std::string instance_id;                              // part of the slot ids
  std::string prefix = "chatstream:limits:";            // every key starts with it
  std::chrono::milliseconds slot_ttl{10'000};           // the lease of a concurrency slot
  std::chrono::milliseconds timeout{250};               // longest wait for Redis on a request
  std::chrono::milliseconds retry_after_failure{1000};  // in-memory only for this long
  LockoutPolicy account_lockout;
  LockoutPolicy address_lockout{.free_failures = 20};
};

class RedisLimits final : public LimitBackend, public std::enable_shared_from_this<RedisLimits> {
 public:
  // Throws std::invalid_argument for a malformed URL. `clock` drives the in-memory fallback;
  // `script_clock`, when given, replaces the Redis server time in the scripts (tests).
  RedisLimits(boost::asio::any_io_executor executor, RedisLimitsSettings settings,
              std::shared_ptr<spdlog::logger> logger, Clock clock = system_clock(),
              std::optional<Clock> script_clock = std::nullopt);
  ~RedisLimits() override;

  // Connects (in the background) and starts refreshing the slots held here.
  void start();
  void stop();
  // True while the last Redis call failed (the in-memory fallback is in use).
  bool degraded() const noexcept { return degraded_.load(); }
  // Slots this instance holds in Redis (refreshed until given back).
  std::size_t held_slots() const;

  boost::asio::awaitable<std::optional<std::int64_t>> take_request(
      std::string user_id, std::int64_t per_minute) override;
  boost::asio::awaitable<std::optional<std::string>> take_slot(std::string user_id,
                                                               std::int64_t max) override;
  void give_back_slot(const std::string& user_id, const std::string& slot) override;
  boost::asio::awaitable<std::int64_t> running(std::string user_id) override;
  boost::asio::awaitable<std::optional<std::int64_t>> login_locked(std::string account,
                                                                   std::string address) override;
  boost::asio::awaitable<void> login_failed(std::string account, std::string address) override;
  boost::asio::awaitable<void> login_succeeded(std::string account) override;

  // Keys (for tests and docs).
  std::string rate_key(const std::string& user_id) const;
  std::string slots_key(const std::string& user_id) const;
  std::string account_key(const std::string& account) const;
  std::string address_key(const std::string& address) const;

  struct Scripts;

 private:
  // The integer replies of the calls, nullopt when Redis failed (the fallback is armed).
  boost::asio::awaitable<std::optional<std::vector<long long>>> run(
      std::string what, std::vector<redis::ScriptCall> calls);
  bool usable() const;
  void failed(std::string_view what, std::string_view why);
  void succeeded();
  std::string now_arg() const;
  static boost::asio::awaitable<void> refresh_loop(std::weak_ptr<RedisLimits> self,
                                                   boost::asio::any_io_executor executor,
                                                   std::chrono::milliseconds every);
  boost::asio::awaitable<void> refresh_once();
  static boost::asio::awaitable<void> remove_slot(std::shared_ptr<RedisLimits> self,
                                                  std::string key, std::string slot);

  boost::asio::any_io_executor executor_;
  RedisLimitsSettings settings_;
  std::shared_ptr<spdlog::logger> logger_;
  std::optional<Clock> script_clock_;
  MemoryLimits fallback_;
  std::unique_ptr<redis::Client> client_;
  std::unique_ptr<Scripts> scripts_;
  std::atomic<bool> degraded_{false};
  std::atomic<std::int64_t> skip_until_ms_{0};  // steady clock
  std::atomic<std::uint64_t> next_slot_{0};
  std::atomic<bool> stopped_{false};
  mutable std::mutex held_mutex_;
  std::map<std::string, std::string> held_;  // slot id -> key
};

}  // namespace chatstream::auth
