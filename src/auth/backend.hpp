// Where the abuse limits keep their state: in this process (MemoryLimits, a single instance)
// or shared by every instance through Redis (RedisLimits, auth/redis_limits.hpp). The
// accounts service takes its limits only through this interface.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>

#include "auth/limits.hpp"

namespace chatstream::auth {

class LimitBackend {
 public:
  virtual ~LimitBackend() = default;

  // Requests per minute (token bucket of `user_id`): nullopt allowed, else Retry-After seconds.
  // per_minute 0 = unlimited.
  virtual boost::asio::awaitable<std::optional<std::int64_t>> take_request(
      std::string user_id, std::int64_t per_minute) = 0;
  // A slot for one running generation: its id, nullopt when `max` are running (max 0 =
  // unlimited, still counted). Give it back with give_back_slot() (never blocks).
  virtual boost::asio::awaitable<std::optional<std::string>> take_slot(std::string user_id,
                                                                       std::int64_t max) = 0;
  virtual void give_back_slot(const std::string& user_id, const std::string& slot) = 0;
  virtual boost::asio::awaitable<std::int64_t> running(std::string user_id) = 0;

  // Login lockout. `account` is a lower-case user name, `address` the client address.
  // nullopt: attempts allowed; else the Retry-After seconds of the longer lock.
  virtual boost::asio::awaitable<std::optional<std::int64_t>> login_locked(std::string account,
                                                                           std::string address) = 0;
  virtual boost::asio::awaitable<void> login_failed(std::string account, std::string address) = 0;
  virtual boost::asio::awaitable<void> login_succeeded(std::string account) = 0;
};

// The per-process limits (no I/O; the coroutines complete at once). Thread-safe.
class MemoryLimits final : public LimitBackend {
 public:
  MemoryLimits(Clock clock, LockoutPolicy account_policy, LockoutPolicy address_policy);

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

  // The synchronous forms (what the coroutines do).
  std::optional<std::int64_t> take_request_now(const std::string& user_id, std::int64_t per_minute);
  bool take_slot_now(const std::string& user_id, std::int64_t max);
  void give_back_slot_now(const std::string& user_id);
  std::int64_t running_now(const std::string& user_id) const;
  std::optional<std::int64_t> login_locked_now(const std::string& account,
                                               const std::string& address);
  void login_failed_now(const std::string& account, const std::string& address);
  void login_succeeded_now(const std::string& account);

  // The id of every slot this backend hands out.
  static constexpr std::string_view slot_id = "local";

 private:
  RateLimiter rate_;
  ConcurrencyLimiter concurrency_;
  LoginLockout account_lockout_;
  LoginLockout address_lockout_;
};

}  // namespace chatstream::auth
