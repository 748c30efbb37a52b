// Internal to auth/: the limit state shared by the service and its generation tickets (a
// ticket may outlive the service during shutdown; it then only gives back its slot).
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <atomic>
#include <memory>

#include "auth/backend.hpp"
#include "store/accounts.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::auth::detail {

struct LimitState {
  LimitState(Clock c, std::shared_ptr<LimitBackend> b)
      : clock(std::move(c)), backend(std::move(b)) {}
  Clock clock;
  std::shared_ptr<LimitBackend> backend;  // requests per minute, concurrency, login lockout
  store::AccountStore* store = nullptr;   // null: usage is not recorded (single-user mode)
  boost::asio::any_io_executor executor;
  std::shared_ptr<spdlog::logger> logger;
  std::atomic<bool> stopped{false};
};

// Adds to a user's usage of today in the background (failures are logged, never thrown).
void record_usage(const std::shared_ptr<LimitState>& state, const std::string& user_id,
                  std::int64_t tokens, std::int64_t requests);

}  // namespace chatstream::auth::detail
