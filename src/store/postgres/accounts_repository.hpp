// The account SQL of the PostgreSQL backend (users, sessions, API tokens, daily usage): plain
// blocking functions over a Connection, like repository.hpp. Reads run on the reader pool,
// writes on the writer thread inside its batch transaction. `now` is the store clock.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/accounts.hpp"
#include "store/postgres/connection.hpp"

namespace chatstream::store::postgres::repo {

// ---- users ----
// Errors: AccountErrc::username_taken (compared case-insensitively, ASCII).
Result<User> insert_user(Connection& conn, const NewUser& n, std::int64_t now);
std::optional<User> find_user(Connection& conn, const std::string& id);
std::optional<User> find_user_by_name(Connection& conn, const std::string& username);
std::vector<User> list_users(Connection& conn);  // by username (ASCII case-insensitive)
std::int64_t count_users(Connection& conn);
// Errors: AccountErrc::user_not_found.
Result<User> update_user(Connection& conn, const std::string& id, const UserPatch& patch,
                         std::int64_t now);

// ---- sessions ----
// created_at 0: now; last_seen 0: created_at. The user must exist (foreign key).
void insert_session(Connection& conn, const Session& s, std::int64_t now);
std::optional<Session> find_session(Connection& conn, const std::string& id_hash);
void touch_session(Connection& conn, const std::string& id_hash, std::int64_t last_seen_ms);
bool delete_session(Connection& conn, const std::string& id_hash);
std::int64_t delete_user_sessions(Connection& conn, const std::string& user_id,
                                  const std::optional<std::string>& keep_id_hash);
// Expired: now >= expires_at, or (idle_limit > 0) now >= last_seen + idle_limit.
std::int64_t delete_expired_sessions(Connection& conn, std::int64_t now_ms,
                                     std::int64_t idle_limit_ms);

// ---- API tokens ----
// id empty: a new id; created_at 0: now. The user must exist (foreign key).
ApiToken insert_api_token(Connection& conn, ApiToken t, std::int64_t now);
std::vector<ApiToken> list_api_tokens(Connection& conn, const std::string& user_id);
std::optional<ApiToken> find_api_token(Connection& conn, const std::string& token_hash);
bool delete_api_token(Connection& conn, const std::string& user_id, const std::string& id);
void touch_api_token(Connection& conn, const std::string& id, std::int64_t used_at_ms);

// ---- usage ----
void add_usage(Connection& conn, const std::string& user_id, const std::string& day,
               std::int64_t tokens, std::int64_t requests);
UsageDay find_usage(Connection& conn, const std::string& user_id, const std::string& day);
std::vector<UsageDay> list_usage(Connection& conn, const std::string& from_day,
                                 const std::string& to_day);

}  // namespace chatstream::store::postgres::repo
