#include "store/sqlite/accounts_repository.hpp"

#include "util/id.hpp"
#include "util/utf8.hpp"

namespace chatstream::store::sqlite::repo {
namespace {

// ---- SQL ----------------------------------------------------------------------------

#define USER_COLUMNS                                                                   \
  "id, username, role, password_hash, disabled, max_concurrent, requests_per_minute, " \
  "tokens_per_day, created_at, updated_at"
#define SESSION_COLUMNS \
  "id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, remote_address"
#define TOKEN_COLUMNS "id, user_id, name, prefix, token_hash, created_at, last_used_at"

// The username's uniqueness (COLLATE NOCASE index) makes a taken name insert nothing.
constexpr const char* sql_insert_user = "INSERT INTO users (" USER_COLUMNS
                                        ") VALUES (?1, ?2, ?3, ?4, 0, NULL, NULL, NULL, ?5, ?5)"
                                        " ON CONFLICT DO NOTHING";
constexpr const char* sql_get_user = "SELECT " USER_COLUMNS " FROM users WHERE id = ?1";
constexpr const char* sql_get_user_by_name =
    "SELECT " USER_COLUMNS " FROM users WHERE username = ?1";  // NOCASE column
constexpr const char* sql_list_users = "SELECT " USER_COLUMNS
                                       " FROM users ORDER BY username COLLATE NOCASE,"
                                       " username COLLATE BINARY, id";
constexpr const char* sql_count_users = "SELECT COUNT(*) FROM users";
constexpr const char* sql_update_user =
    "UPDATE users SET role = COALESCE(?1, role), disabled = COALESCE(?2, disabled),"
    " password_hash = COALESCE(?3, password_hash), updated_at = ?4 WHERE id = ?5";
constexpr const char* sql_update_limits =
    "UPDATE users SET max_concurrent = ?1, requests_per_minute = ?2, tokens_per_day = ?3"
    " WHERE id = ?4";

constexpr const char* sql_insert_session =
    "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)";
constexpr const char* sql_get_session =
    "SELECT " SESSION_COLUMNS " FROM sessions WHERE id_hash = ?1";
constexpr const char* sql_touch_session =
    "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?1) WHERE id_hash = ?2";
constexpr const char* sql_delete_session = "DELETE FROM sessions WHERE id_hash = ?1";
constexpr const char* sql_delete_user_sessions =
    "DELETE FROM sessions WHERE user_id = ?1 AND (?2 IS NULL OR id_hash <> ?2)";
constexpr const char* sql_delete_expired_absolute = "DELETE FROM sessions WHERE expires_at <= ?1";
constexpr const char* sql_delete_expired_idle = "DELETE FROM sessions WHERE last_seen_at <= ?1";

constexpr const char* sql_insert_token =
    "INSERT INTO api_tokens (" TOKEN_COLUMNS ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, NULL)";
constexpr const char* sql_list_tokens = "SELECT " TOKEN_COLUMNS
                                        " FROM api_tokens WHERE user_id = ?1"
                                        " ORDER BY created_at, id";
constexpr const char* sql_get_token_by_hash =
    "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE token_hash = ?1";
constexpr const char* sql_delete_token = "DELETE FROM api_tokens WHERE id = ?1 AND user_id = ?2";
constexpr const char* sql_touch_token =
    "UPDATE api_tokens SET last_used_at = MAX(COALESCE(last_used_at, ?1), ?1) WHERE id = ?2";

constexpr const char* sql_add_usage =
    "INSERT INTO usage_daily (user_id, day, tokens, requests) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (user_id, day) DO UPDATE SET tokens = tokens + excluded.tokens,"
    " requests = requests + excluded.requests";
constexpr const char* sql_get_usage =
    "SELECT tokens, requests FROM usage_daily WHERE user_id = ?1 AND day = ?2";
constexpr const char* sql_list_usage =
    "SELECT user_id, day, tokens, requests FROM usage_daily WHERE day >= ?1 AND day <= ?2"
    " ORDER BY day, user_id";

#undef USER_COLUMNS
#undef SESSION_COLUMNS
#undef TOKEN_COLUMNS

// ---- row mapping --------------------------------------------------------------------

User user_from(const Query& q) {
  User u;
  u.id = q.text(0);
  u.username = q.text(1);
  u.role = user_role_from_string(q.text(2)).value_or(UserRole::user);
  u.password_hash = q.text(3);
  u.disabled = q.integer(4) != 0;
  u.limits.max_concurrent = q.optional_integer(5);
  u.limits.requests_per_minute = q.optional_integer(6);
  u.limits.tokens_per_day = q.optional_integer(7);
  u.created_at_ms = q.integer(8);
  u.updated_at_ms = q.integer(9);
  return u;
}

Session session_from(const Query& q) {
  Session s;
  s.id_hash = q.text(0);
  s.user_id = q.text(1);
  s.created_at_ms = q.integer(2);
  s.last_seen_ms = q.integer(3);
  s.expires_at_ms = q.integer(4);
  s.user_agent = q.text(5);
  s.remote_address = q.text(6);
  return s;
}

ApiToken token_from(const Query& q) {
  ApiToken t;
  t.id = q.text(0);
  t.user_id = q.text(1);
  t.name = q.text(2);
  t.prefix = q.text(3);
  t.token_hash = q.text(4);
  t.created_at_ms = q.integer(5);
  t.last_used_at_ms = q.optional_integer(6);
  return t;
}

std::string clean(std::string_view text) {
  return util::sanitize_utf8(text, true);
}

std::optional<std::int64_t> as_integer(const std::optional<bool>& flag) {
  if (!flag) return std::nullopt;
  return *flag ? 1 : 0;
}

std::optional<std::string> role_text(const std::optional<UserRole>& role) {
  if (!role) return std::nullopt;
  return std::string(to_string(*role));
}

}  // namespace

// ---- users --------------------------------------------------------------------------

Result<User> insert_user(Connection& conn, const NewUser& n, std::int64_t now) {
  User u;
  u.id = util::new_id();
  u.username = clean(n.username);
  u.role = n.role;
  u.password_hash = clean(n.password_hash);
  u.created_at_ms = u.updated_at_ms = now;
  auto q = conn.query(sql_insert_user);
  q.bind(1, u.id).bind(2, u.username).bind(3, to_string(u.role)).bind(4, u.password_hash);
  q.bind(5, now);
  if (q.run() == 0) return make_error_code(AccountErrc::username_taken);
  return u;
}

std::optional<User> find_user(Connection& conn, const std::string& id) {
  auto q = conn.query(sql_get_user);
  q.bind(1, id);
  if (!q.step()) return std::nullopt;
  return user_from(q);
}

std::optional<User> find_user_by_name(Connection& conn, const std::string& username) {
  auto q = conn.query(sql_get_user_by_name);
  q.bind(1, username);
  if (!q.step()) return std::nullopt;
  return user_from(q);
}

std::vector<User> list_users(Connection& conn) {
  auto q = conn.query(sql_list_users);
  std::vector<User> out;
  while (q.step()) out.push_back(user_from(q));
  return out;
}

std::int64_t count_users(Connection& conn) {
  auto q = conn.query(sql_count_users);
  return q.step() ? q.integer(0) : 0;
}

Result<User> update_user(Connection& conn, const std::string& id, const UserPatch& patch,
                         std::int64_t now) {
  auto q = conn.query(sql_update_user);
  q.bind(1, role_text(patch.role)).bind(2, as_integer(patch.disabled));
  q.bind(3, patch.password_hash).bind(4, now).bind(5, id);
  if (q.run() == 0) return make_error_code(AccountErrc::user_not_found);
  if (patch.limits) {
    const UserLimits& l = *patch.limits;
    auto limits = conn.query(sql_update_limits);
    limits.bind(1, l.max_concurrent).bind(2, l.requests_per_minute).bind(3, l.tokens_per_day);
    limits.bind(4, id).run();
  }
  auto updated = find_user(conn, id);
  if (!updated) return make_error_code(AccountErrc::user_not_found);
  return *updated;
}

// ---- sessions -----------------------------------------------------------------------

void insert_session(Connection& conn, const Session& s, std::int64_t now) {
  const std::int64_t created = s.created_at_ms != 0 ? s.created_at_ms : now;
  auto q = conn.query(sql_insert_session);
  q.bind(1, s.id_hash).bind(2, s.user_id).bind(3, created);
  q.bind(4, s.last_seen_ms != 0 ? s.last_seen_ms : created).bind(5, s.expires_at_ms);
  q.bind(6, s.user_agent).bind(7, s.remote_address);
  q.run();
}

std::optional<Session> find_session(Connection& conn, const std::string& id_hash) {
  auto q = conn.query(sql_get_session);
  q.bind(1, id_hash);
  if (!q.step()) return std::nullopt;
  return session_from(q);
}

void touch_session(Connection& conn, const std::string& id_hash, std::int64_t last_seen_ms) {
  conn.query(sql_touch_session).bind(1, last_seen_ms).bind(2, id_hash).run();
}

bool delete_session(Connection& conn, const std::string& id_hash) {
  return conn.query(sql_delete_session).bind(1, id_hash).run() > 0;
}

std::int64_t delete_user_sessions(Connection& conn, const std::string& user_id,
                                  const std::optional<std::string>& keep_id_hash) {
  return conn.query(sql_delete_user_sessions).bind(1, user_id).bind(2, keep_id_hash).run();
}

std::int64_t delete_expired_sessions(Connection& conn, std::int64_t now_ms,
                                     std::int64_t idle_limit_ms) {
  std::int64_t removed = conn.query(sql_delete_expired_absolute).bind(1, now_ms).run();
  if (idle_limit_ms > 0) {
    removed += conn.query(sql_delete_expired_idle).bind(1, now_ms - idle_limit_ms).run();
  }
  return removed;
}

// ---- API tokens ---------------------------------------------------------------------

ApiToken insert_api_token(Connection& conn, ApiToken t, std::int64_t now) {
  if (t.id.empty()) t.id = util::new_id();
  if (t.created_at_ms == 0) t.created_at_ms = now;
  t.id = clean(t.id);
  t.user_id = clean(t.user_id);
  t.name = clean(t.name);
  t.prefix = clean(t.prefix);
  t.token_hash = clean(t.token_hash);
  t.last_used_at_ms.reset();
  auto q = conn.query(sql_insert_token);
  q.bind(1, t.id).bind(2, t.user_id).bind(3, t.name).bind(4, t.prefix);
  q.bind(5, t.token_hash).bind(6, t.created_at_ms);
  q.run();
  return t;
}

std::vector<ApiToken> list_api_tokens(Connection& conn, const std::string& user_id) {
  auto q = conn.query(sql_list_tokens);
  q.bind(1, user_id);
  std::vector<ApiToken> out;
  while (q.step()) out.push_back(token_from(q));
  return out;
}

std::optional<ApiToken> find_api_token(Connection& conn, const std::string& token_hash) {
  auto q = conn.query(sql_get_token_by_hash);
  q.bind(1, token_hash);
  if (!q.step()) return std::nullopt;
  return token_from(q);
}

bool delete_api_token(Connection& conn, const std::string& user_id, const std::string& id) {
  return conn.query(sql_delete_token).bind(1, id).bind(2, user_id).run() > 0;
}

void touch_api_token(Connection& conn, const std::string& id, std::int64_t used_at_ms) {
  conn.query(sql_touch_token).bind(1, used_at_ms).bind(2, id).run();
}

// ---- usage --------------------------------------------------------------------------

void add_usage(Connection& conn, const std::string& user_id, const std::string& day,
               std::int64_t tokens, std::int64_t requests) {
  auto q = conn.query(sql_add_usage);
  q.bind(1, user_id).bind(2, day).bind(3, tokens).bind(4, requests);
  q.run();
}

UsageDay find_usage(Connection& conn, const std::string& user_id, const std::string& day) {
  UsageDay u;
  u.user_id = clean(user_id);
  u.day = clean(day);
  auto q = conn.query(sql_get_usage);
  q.bind(1, user_id).bind(2, day);
  if (q.step()) {
    u.tokens = q.integer(0);
    u.requests = q.integer(1);
  }
  return u;
}

std::vector<UsageDay> list_usage(Connection& conn, const std::string& from_day,
                                 const std::string& to_day) {
  auto q = conn.query(sql_list_usage);
  q.bind(1, from_day).bind(2, to_day);
  std::vector<UsageDay> out;
  while (q.step()) out.push_back(UsageDay{q.text(0), q.text(1), q.integer(2), q.integer(3)});
  return out;
}

}  // namespace chatstream::store::sqlite::repo
