// The accounts service: the mode (single-user or multi-user), the router guard (who is
// asking, per-route access), sessions and their cookie, login with lockout, the one-time setup
// token, password hashing off the I/O threads, generation admission (per-user limits and
// daily token budget) and audit log lines. One per process, built in app/ and shared by the
// handlers; every member is thread-safe.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "auth/backend.hpp"
#include "auth/limits.hpp"
#include "auth/password.hpp"
#include "http/message.hpp"
#include "http/router.hpp"
#include "store/accounts.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::auth {

enum class Mode { single_user, multi_user };
std::string_view to_string(Mode mode) noexcept;
std::optional<Mode> mode_from_string(std::string_view text) noexcept;

inline constexpr std::string_view session_cookie_name = "cs_session";
inline constexpr std::string_view local_user_id = "local";

// Limits with every value resolved (0 = unlimited).
struct Limits {
  std::int64_t max_concurrent = 0;
  std::int64_t requests_per_minute = 0;
  std::int64_t tokens_per_day = 0;
};

struct AuthSettings {
  Mode mode = Mode::single_user;
  bool secure_cookie = false;        // behind TLS: the cookie gets `Secure`
  bool trust_forwarded_for = false;  // client address = last X-Forwarded-For entry
  std::chrono::milliseconds session_idle{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds session_absolute{std::chrono::hours(24 * 30)};
  std::chrono::milliseconds touch_interval{std::chrono::minutes(1)};
  Limits limits;  // defaults; users may have overrides
  LockoutPolicy account_lockout;
  LockoutPolicy address_lockout{.free_failures = 20};
  PasswordCost password_cost = PasswordCost::interactive();
};

// The effective limits of a user: overrides where set, else the defaults.
Limits effective_limits(const store::UserLimits& overrides, const Limits& defaults) noexcept;

namespace detail {
struct LimitState;
}

// Held while one generation runs (REST or /v1): releases the user's concurrency slot and
// adds the tokens used to the user's day when destroyed. Not thread-safe: feed it from one
// strand (or in sequence).
class GenerationTicket {
 public:
  GenerationTicket(std::shared_ptr<detail::LimitState> state, std::string user_id,
                   std::optional<std::string> slot);
  ~GenerationTicket();
  GenerationTicket(const GenerationTicket&) = delete;
  GenerationTicket& operator=(const GenerationTicket&) = delete;

  // Usage the provider reported (wins over estimates).
  void set_usage(std::int64_t prompt_tokens, std::int64_t completion_tokens);
  // For estimates when the provider reports none (about 4 characters per token).
  void add_prompt_chars(std::size_t chars) { prompt_chars_ += chars; }
  void add_completion_chars(std::size_t chars) { completion_chars_ += chars; }
  std::int64_t tokens() const noexcept;

 private:
  std::shared_ptr<detail::LimitState> state_;
  std::string user_id_;
  std::optional<std::string> slot_;  // the concurrency slot to give back
  std::optional<std::int64_t> reported_;
  std::size_t prompt_chars_ = 0;
  std::size_t completion_chars_ = 0;
};

// A refused login / generation: status 401 or 429, the code of docs/api.md, Retry-After.
struct Refusal {
  unsigned status = 429;
  std::string code;
  std::string message;
  std::int64_t retry_after_s = 0;  // 0: no header
};
http::Response to_response(const Refusal& refusal);

class Accounts {
 public:
  // `store` may be null in single-user mode. `executor` runs background writes. `limits`: where
  // requests per minute, concurrent generations and login lockouts are counted (null: in this
  // process, MemoryLimits; RedisLimits shares them between instances).
  Accounts(AuthSettings settings, store::AccountStore* store, boost::asio::any_io_executor executor,
           std::shared_ptr<spdlog::logger> logger, Clock clock = system_clock(),
           std::shared_ptr<LimitBackend> limits = nullptr);
  ~Accounts();
  Accounts(const Accounts&) = delete;
  Accounts& operator=(const Accounts&) = delete;

  Mode mode() const noexcept { return settings_.mode; }
  bool multi_user() const noexcept { return settings_.mode == Mode::multi_user; }
  const AuthSettings& settings() const noexcept { return settings_; }
  store::AccountStore& store() const { return *store_; }
  std::int64_t now_ms() const { return clock_(); }
  spdlog::logger& logger() const { return *logger_; }

  // The router guard (see http::Guard). Sets req->user_id / user_role.
  boost::asio::awaitable<std::optional<http::Response>> guard(http::Request* req,
                                                              http::Access access);

  // --- setup token (multi-user with no user yet)
  // Generates the one-time token when no user exists; returns it (to print), else nullopt.
  boost::asio::awaitable<std::optional<std::string>> prepare_setup();
  // Consumes the token if it matches (constant time). One success per process.
  bool consume_setup_token(std::string_view token);
  void restore_setup_token();  // after a failed creation

  // --- passwords, on a private thread pool
  boost::asio::awaitable<std::string> hash_password(std::string password);
  boost::asio::awaitable<bool> verify_password(std::string hash, std::string password);

  // --- login and sessions
  // Checks lockout, the password (constant-ish time even for unknown names), records
  // failures, re-hashes when the cost changed. The user on success.
  boost::asio::awaitable<std::variant<store::User, Refusal>> login(std::string username,
                                                                   std::string password,
                                                                   std::string client);
  // Creates a session; returns the cookie value (the secret).
  boost::asio::awaitable<std::string> start_session(const store::User& user,
                                                    const http::Request& req);
  std::string session_cookie(const std::string& secret) const;
  std::string clearing_cookie() const;
  // The cs_session cookie value of a request, if any.
  static std::optional<std::string> session_secret(const http::Request& req);
  std::string client_address(const http::Request& req) const;

  // --- generations
  // Budget, requests per minute and concurrency for one generation request of `user_id`.
  // A null ticket means nothing needs tracking (single-user mode: no per-user limits).
  boost::asio::awaitable<std::variant<std::shared_ptr<GenerationTicket>, Refusal>> admit_generation(
      std::string user_id);
  Limits limits_of(const store::User& user) const noexcept;
  boost::asio::awaitable<std::int64_t> running_generations(std::string user_id) const;

  // An audit line: "audit event=<event> <details>" at info level.
  void audit(std::string_view event, std::string_view details) const;

 private:
  struct Identity {
    std::string user_id;
    store::UserRole role = store::UserRole::user;
  };
  boost::asio::awaitable<std::optional<Identity>> from_session(std::string secret);
  boost::asio::awaitable<std::optional<Identity>> from_api_token(std::string token);
  boost::asio::awaitable<std::optional<Refusal>> login_locked(std::string username,
                                                              std::string client);

  AuthSettings settings_;
  store::AccountStore* store_;
  boost::asio::any_io_executor executor_;
  std::shared_ptr<spdlog::logger> logger_;
  Clock clock_;
  std::shared_ptr<detail::LimitState> limits_;
  struct Private;
  std::unique_ptr<Private> private_;
};

}  // namespace chatstream::auth
