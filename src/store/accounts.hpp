// Accounts: users, login sessions, per-user API tokens and daily usage, kept in the same
// database as the history (one more set of tables, same migrations, same backends).
//
// Secrets never reach this layer in clear: sessions and API tokens are looked up by a hash of
// the secret (computed by the auth layer), passwords are stored as argon2id hash strings.
//
// Threading and errors: as for Store (any thread; work runs on the store's threads; expected
// outcomes are values, unexpected database failures throw StoreFailure).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/store.hpp"

namespace chatstream::store {

enum class UserRole { admin, user };
std::string_view to_string(UserRole role) noexcept;
std::optional<UserRole> user_role_from_string(std::string_view text) noexcept;

// Per-user overrides of the configured limits; nullopt: the configured default applies.
// A value of 0 means "unlimited".
struct UserLimits {
  std::optional<std::int64_t> max_concurrent;       // generations running at once
  std::optional<std::int64_t> requests_per_minute;  // generation requests (send, regenerate, /v1)
  std::optional<std::int64_t> tokens_per_day;       // prompt + completion tokens, UTC day
};

struct User {
  std::string id;
  std::string username;  // unique, compared case-insensitively (ASCII)
  UserRole role = UserRole::user;
  std::string password_hash;  // argon2id string (libsodium crypto_pwhash_str)
  bool disabled = false;
  UserLimits limits;
  std::int64_t created_at_ms = 0;
  std::int64_t updated_at_ms = 0;
};

struct NewUser {
  std::string username;
  UserRole role = UserRole::user;
  std::string password_hash;
};

// Fields to change; nullopt leaves a field as it is.
struct UserPatch {
  std::optional<UserRole> role;
  std::optional<bool> disabled;
  std::optional<std::string> password_hash;
  std::optional<UserLimits> limits;  // replaces all three overrides
};

struct Session {
  std::string id_hash;  // hash of the cookie value (the secret itself is never stored)
  std::string user_id;
  std::int64_t created_at_ms = 0;
  std::int64_t last_seen_ms = 0;   // idle expiry counts from here
  std::int64_t expires_at_ms = 0;  // absolute expiry
  std::string user_agent;          // for "your sessions" lists; may be empty
  std::string remote_address;
};

struct ApiToken {
  std::string id;  // empty on insert: the store assigns util::new_id()
  std::string user_id;
  std::string name;        // the user's label
  std::string prefix;      // the first characters of the token, shown for identification
  std::string token_hash;  // hash of the whole token
  std::int64_t created_at_ms = 0;
  std::optional<std::int64_t> last_used_at_ms;
};

struct UsageDay {
  std::string user_id;
  std::string day;  // UTC, "YYYY-MM-DD"
  std::int64_t tokens = 0;
  std::int64_t requests = 0;
};

enum class AccountErrc {
  username_taken = 1,
  user_not_found,
};
const std::error_category& account_category() noexcept;
std::error_code make_error_code(AccountErrc e) noexcept;

class AccountStore {
 public:
  virtual ~AccountStore() = default;

  // Errors: AccountErrc::username_taken.
  virtual boost::asio::awaitable<Result<User>> create_user(NewUser user) = 0;
  virtual boost::asio::awaitable<std::optional<User>> get_user(std::string id) = 0;
  virtual boost::asio::awaitable<std::optional<User>> find_user_by_name(std::string username) = 0;
  virtual boost::asio::awaitable<std::vector<User>> list_users() = 0;  // by username
  virtual boost::asio::awaitable<std::int64_t> count_users() = 0;
  // Errors: AccountErrc::user_not_found.
  virtual boost::asio::awaitable<Result<User>> update_user(std::string id, UserPatch patch) = 0;

  virtual boost::asio::awaitable<void> create_session(Session session) = 0;
  virtual boost::asio::awaitable<std::optional<Session>> get_session(std::string id_hash) = 0;
  // Fire-and-forget (queued like save_progress): moves last_seen forward.
  virtual void touch_session(std::string id_hash, std::int64_t last_seen_ms) = 0;
  virtual boost::asio::awaitable<bool> delete_session(std::string id_hash) = 0;
  // Ends every session of the user except `keep_id_hash` (when given). Returns how many.
  virtual boost::asio::awaitable<std::int64_t> delete_user_sessions(
      std::string user_id, std::optional<std::string> keep_id_hash) = 0;
  // Removes sessions whose absolute expiry or idle limit has passed. Returns how many.
  virtual boost::asio::awaitable<std::int64_t> delete_expired_sessions(
      std::int64_t now_ms, std::int64_t idle_limit_ms) = 0;

  virtual boost::asio::awaitable<ApiToken> create_api_token(ApiToken token) = 0;
  virtual boost::asio::awaitable<std::vector<ApiToken>> list_api_tokens(std::string user_id) = 0;
  virtual boost::asio::awaitable<std::optional<ApiToken>> find_api_token(
      std::string token_hash) = 0;
  // False when unknown or owned by another user.
  virtual boost::asio::awaitable<bool> delete_api_token(std::string user_id, std::string id) = 0;
  // Fire-and-forget.
  virtual void touch_api_token(std::string id, std::int64_t used_at_ms) = 0;

  // Adds to the user's counters of that day (creating the row).
  virtual boost::asio::awaitable<void> add_usage(std::string user_id, std::string day,
                                                 std::int64_t tokens, std::int64_t requests) = 0;
  virtual boost::asio::awaitable<UsageDay> get_usage(std::string user_id, std::string day) = 0;
  // Every user's rows with from_day <= day <= to_day, by day then user.
  virtual boost::asio::awaitable<std::vector<UsageDay>> list_usage(std::string from_day,
                                                                   std::string to_day) = 0;
};

}  // namespace chatstream::store

template <>
struct std::is_error_code_enum<chatstream::store::AccountErrc> : std::true_type {};
