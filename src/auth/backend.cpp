#include "auth/backend.hpp"

#include <algorithm>

namespace chatstream::auth {
namespace asio = boost::asio;

MemoryLimits::MemoryLimits(Clock clock, LockoutPolicy account_policy, LockoutPolicy address_policy)
    : rate_(clock),
      account_lockout_(account_policy, clock),
      address_lockout_(address_policy, std::move(clock)) {}

std::optional<std::int64_t> MemoryLimits::take_request_now(const std::string& user_id,
                                                           std::int64_t per_minute) {
  return rate_.acquire(user_id, per_minute);
}

bool MemoryLimits::take_slot_now(const std::string& user_id, std::int64_t max) {
  return concurrency_.try_acquire(user_id, max);
}

void MemoryLimits::give_back_slot_now(const std::string& user_id) {
  concurrency_.release(user_id);
}

std::int64_t MemoryLimits::running_now(const std::string& user_id) const {
  return concurrency_.running(user_id);
}

std::optional<std::int64_t> MemoryLimits::login_locked_now(const std::string& account,
                                                           const std::string& address) {
  auto a = account_lockout_.locked("user:" + account);
  auto b = address_lockout_.locked("ip:" + address);
  if (!a && !b) return std::nullopt;
  return std::max(a.value_or(0), b.value_or(0));
}

void MemoryLimits::login_failed_now(const std::string& account, const std::string& address) {
  account_lockout_.record_failure("user:" + account);
  address_lockout_.record_failure("ip:" + address);
}

void MemoryLimits::login_succeeded_now(const std::string& account) {
  account_lockout_.reset("user:" + account);
}

asio::awaitable<std::optional<std::int64_t>> MemoryLimits::take_request(std::string user_id,
                                                                        std::int64_t per_minute) {
  co_return take_request_now(user_id, per_minute);
}

asio::awaitable<std::optional<std::string>> MemoryLimits::take_slot(std::string user_id,
                                                                    std::int64_t max) {
  if (!take_slot_now(user_id, max)) co_return std::nullopt;
  co_return std::string(slot_id);
}

void MemoryLimits::give_back_slot(const std::string& user_id, const std::string& /*slot*/) {
  give_back_slot_now(user_id);
}

asio::awaitable<std::int64_t> MemoryLimits::running(std::string user_id) {
  co_return running_now(user_id);
}

asio::awaitable<std::optional<std::int64_t>> MemoryLimits::login_locked(std::string account,
                                                                        std::string address) {
  co_return login_locked_now(account, address);
}

asio::awaitable<void> MemoryLimits::login_failed(std::string account, std::string address) {
  login_failed_now(account, address);
  co_return;
}

asio::awaitable<void> MemoryLimits::login_succeeded(std::string account) {
  login_succeeded_now(account);
  co_return;
}

}  // namespace chatstream::auth
