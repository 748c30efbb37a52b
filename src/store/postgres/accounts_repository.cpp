#include "store/postgres/accounts_repository.hpp"

#include "util/id.hpp"
#include "util/utf8.hpp"

namespace chatstream::store::postgres::repo {
namespace {

// ---- SQL ----------------------------------------------------------------------------

#define USER_COLUMNS                                                                   \
  "id, username, role, password_hash, disabled, max_concurrent, requests_per_minute, " \
  "tokens_per_day, created_at, updated_at"
// As USER_COLUMNS, with the boolean as 0/1.
#define USER_SELECT                                                                         \
  "id, username, role, password_hash, disabled::int, max_concurrent, requests_per_minute, " \
  "tokens_per_day, created_at, updated_at"
#define SESSION_COLUMNS \
  "id_hash, user_id, created_at, last_seen_at, expires_at, user_agent, remote_address"
#define TOKEN_COLUMNS "id, user_id, name, prefix, token_hash, created_at, last_used_at"

#define LOWER_USERNAME(x) \
  "translate(" x ", 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"

// The username's uniqueness (an index on the ASCII-lowered name) makes a taken name insert
// nothing.
constexpr const char* sql_insert_user =
    "INSERT INTO users (" USER_COLUMNS
    ") VALUES ($1, $2, $3, $4, FALSE, NULL, NULL, NULL, $5, $5) ON CONFLICT DO NOTHING";
constexpr const char* sql_get_user = "SELECT " USER_SELECT " FROM users WHERE id = $1";
constexpr const char* sql_get_user_by_name =
    "SELECT " USER_SELECT
    " FROM users WHERE " LOWER_USERNAME("username") " = " LOWER_USERNAME("$1::text");
constexpr const char* sql_list_users =
    "SELECT " USER_SELECT
    " FROM users ORDER BY " LOWER_USERNAME("username") " COLLATE \"C\", username COLLATE \"C\", id";
constexpr const char* sql_count_users = "SELECT COUNT(*) FROM users";
constexpr const char* sql_update_user =
    "UPDATE users SET role = COALESCE($1::text, role), disabled = COALESCE($2::boolean, disabled),"
    " password_hash = COALESCE($3::text, password_hash), updated_at = $4::bigint WHERE id = $5";
constexpr const char* sql_update_limits =
    "UPDATE users SET max_concurrent = $1::bigint, requests_per_minute = $2::bigint,"
    " tokens_per_day = $3::bigint WHERE id = $4";

constexpr const char* sql_insert_session =
    "INSERT INTO sessions (" SESSION_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, $7)";
constexpr const char* sql_get_session =
    "SELECT " SESSION_COLUMNS " FROM sessions WHERE id_hash = $1";
constexpr const char* sql_touch_session =
    "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $1::bigint) WHERE id_hash = $2";
constexpr const char* sql_delete_session = "DELETE FROM sessions WHERE id_hash = $1";
constexpr const char* sql_delete_user_sessions =
    "DELETE FROM sessions WHERE user_id = $1 AND ($2::text IS NULL OR id_hash <> $2::text)";
constexpr const char* sql_delete_expired_absolute =
    "DELETE FROM sessions WHERE expires_at <= $1::bigint";
constexpr const char* sql_delete_expired_idle =
    "DELETE FROM sessions WHERE last_seen_at <= $1::bigint";

constexpr const char* sql_insert_token =
    "INSERT INTO api_tokens (" TOKEN_COLUMNS ") VALUES ($1, $2, $3, $4, $5, $6, NULL)";
constexpr const char* sql_list_tokens = "SELECT " TOKEN_COLUMNS
                                        " FROM api_tokens WHERE user_id = $1"
                                        " ORDER BY created_at, id";
constexpr const char* sql_get_token_by_hash =
    "SELECT " TOKEN_COLUMNS " FROM api_tokens WHERE token_hash = $1";
constexpr const char* sql_delete_token = "DELETE FROM api_tokens WHERE id = $1 AND user_id = $2";
// GREATEST ignores NULL: the first use sets it.
constexpr const char* sql_touch_token =
    "UPDATE api_tokens SET last_used_at = GREATEST(last_used_at, $1::bigint) WHERE id = $2";

constexpr const char* sql_add_usage =
    "INSERT INTO usage_daily (user_id, day, tokens, requests) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (user_id, day) DO UPDATE SET tokens = usage_daily.tokens + EXCLUDED.tokens,"
    " requests = usage_daily.requests + EXCLUDED.requests";
constexpr const char* sql_get_usage =
    "SELECT tokens, requests FROM usage_daily WHERE user_id = $1 AND day = $2";
constexpr const char* sql_list_usage =
    "SELECT user_id, day, tokens, requests FROM usage_daily WHERE day >= $1 AND day <= $2"
    " ORDER BY day, user_id";

#undef LOWER_USERNAME
#undef USER_SELECT
#undef USER_COLUMNS
#undef SESSION_COLUMNS
#undef TOKEN_COLUMNS

// ---- row mapping --------------------------------------------------------------------

User user_from(const Rows& r, int i) {
  User u;
  u.id = r.text(i, 0);
  u.username = r.text(i, 1);
  u.role = user_role_from_string(r.text(i, 2)).value_or(UserRole::user);
  u.password_hash = r.text(i, 3);
  u.disabled = r.integer(i, 4) != 0;
  u.limits.max_concurrent = r.optional_integer(i, 5);
  u.limits.requests_per_minute = r.optional_integer(i, 6);
  u.limits.tokens_per_day = r.optional_integer(i, 7);
  u.created_at_ms = r.integer(i, 8);
  u.updated_at_ms = r.integer(i, 9);
  return u;
}

Session session_from(const Rows& r, int i) {
  Session s;
  s.id_hash = r.text(i, 0);
  s.user_id = r.text(i, 1);
  s.created_at_ms = r.integer(i, 2);
  s.last_seen_ms = r.integer(i, 3);
  s.expires_at_ms = r.integer(i, 4);
  s.user_agent = r.text(i, 5);
  s.remote_address = r.text(i, 6);
  return s;
}

ApiToken token_from(const Rows& r, int i) {
  ApiToken t;
  t.id = r.text(i, 0);
  t.user_id = r.text(i, 1);
  t.name = r.text(i, 2);
  t.prefix = r.text(i, 3);
  t.token_hash = r.text(i, 4);
  t.created_at_ms = r.integer(i, 5);
  t.last_used_at_ms = r.optional_integer(i, 6);
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
  q.bind(u.id).bind(u.username).bind(to_string(u.role)).bind(u.password_hash).bind(now);
  if (q.run() == 0) return make_error_code(AccountErrc::username_taken);
  return u;
}

std::optional<User> find_user(Connection& conn, const std::string& id) {
  const Rows r = conn.query(sql_get_user).bind(id).rows();
  if (r.empty()) return std::nullopt;
  return user_from(r, 0);
}

std::optional<User> find_user_by_name(Connection& conn, const std::string& username) {
  const Rows r = conn.query(sql_get_user_by_name).bind(username).rows();
  if (r.empty()) return std::nullopt;
  return user_from(r, 0);
}

std::vector<User> list_users(Connection& conn) {
  const Rows r = conn.query(sql_list_users).rows();
  std::vector<User> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(user_from(r, i));
  return out;
}

std::int64_t count_users(Connection& conn) {
  const Rows r = conn.query(sql_count_users).rows();
  return r.empty() ? 0 : r.integer(0, 0);
}

Result<User> update_user(Connection& conn, const std::string& id, const UserPatch& patch,
                         std::int64_t now) {
  auto q = conn.query(sql_update_user);
  q.bind(role_text(patch.role)).bind(as_integer(patch.disabled));
  q.bind(patch.password_hash).bind(now).bind(id);
  if (q.run() == 0) return make_error_code(AccountErrc::user_not_found);
  if (patch.limits) {
    const UserLimits& l = *patch.limits;
    auto limits = conn.query(sql_update_limits);
    limits.bind(l.max_concurrent).bind(l.requests_per_minute).bind(l.tokens_per_day);
    limits.bind(id).run();
  }
  auto updated = find_user(conn, id);
  if (!updated) return make_error_code(AccountErrc::user_not_found);
  return *updated;
}

// ---- sessions -----------------------------------------------------------------------

void insert_session(Connection& conn, const Session& s, std::int64_t now) {
  const std::int64_t created = s.created_at_ms != 0 ? s.created_at_ms : now;
  auto q = conn.query(sql_insert_session);
  q.bind(s.id_hash).bind(s.user_id).bind(created);
  q.bind(s.last_seen_ms != 0 ? s.last_seen_ms : created).bind(s.expires_at_ms);
  q.bind(s.user_agent).bind(s.remote_address);
  q.run();
}

std::optional<Session> find_session(Connection& conn, const std::string& id_hash) {
  const Rows r = conn.query(sql_get_session).bind(id_hash).rows();
  if (r.empty()) return std::nullopt;
  return session_from(r, 0);
}

void touch_session(Connection& conn, const std::string& id_hash, std::int64_t last_seen_ms) {
  conn.query(sql_touch_session).bind(last_seen_ms).bind(id_hash).run();
}

bool delete_session(Connection& conn, const std::string& id_hash) {
  return conn.query(sql_delete_session).bind(id_hash).run() > 0;
}

std::int64_t delete_user_sessions(Connection& conn, const std::string& user_id,
                                  const std::optional<std::string>& keep_id_hash) {
  return conn.query(sql_delete_user_sessions).bind(user_id).bind(keep_id_hash).run();
}

std::int64_t delete_expired_sessions(Connection& conn, std::int64_t now_ms,
                                     std::int64_t idle_limit_ms) {
  std::int64_t removed = conn.query(sql_delete_expired_absolute).bind(now_ms).run();
  if (idle_limit_ms > 0) {
    removed += conn.query(sql_delete_expired_idle).bind(now_ms - idle_limit_ms).run();
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
  q.bind(t.id).bind(t.user_id).bind(t.name).bind(t.prefix);
  q.bind(t.token_hash).bind(t.created_at_ms);
  q.run();
  return t;
}

std::vector<ApiToken> list_api_tokens(Connection& conn, const std::string& user_id) {
  const Rows r = conn.query(sql_list_tokens).bind(user_id).rows();
  std::vector<ApiToken> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(token_from(r, i));
  return out;
}

std::optional<ApiToken> find_api_token(Connection& conn, const std::string& token_hash) {
  const Rows r = conn.query(sql_get_token_by_hash).bind(token_hash).rows();
  if (r.empty()) return std::nullopt;
  return token_from(r, 0);
}

bool delete_api_token(Connection& conn, const std::string& user_id, const std::string& id) {
  return conn.query(sql_delete_token).bind(id).bind(user_id).run() > 0;
}

void touch_api_token(Connection& conn, const std::string& id, std::int64_t used_at_ms) {
  conn.query(sql_touch_token).bind(used_at_ms).bind(id).run();
}

// ---- usage --------------------------------------------------------------------------

void add_usage(Connection& conn, const std::string& user_id, const std::string& day,
               std::int64_t tokens, std::int64_t requests) {
  conn.query(sql_add_usage).bind(user_id).bind(day).bind(tokens).bind(requests).run();
}

UsageDay find_usage(Connection& conn, const std::string& user_id, const std::string& day) {
  UsageDay u;
  u.user_id = clean(user_id);
  u.day = clean(day);
  const Rows r = conn.query(sql_get_usage).bind(user_id).bind(day).rows();
  if (!r.empty()) {
    u.tokens = r.integer(0, 0);
    u.requests = r.integer(0, 1);
  }
  return u;
}

std::vector<UsageDay> list_usage(Connection& conn, const std::string& from_day,
                                 const std::string& to_day) {
  const Rows r = conn.query(sql_list_usage).bind(from_day).bind(to_day).rows();
  std::vector<UsageDay> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) {
    out.push_back(UsageDay{r.text(i, 0), r.text(i, 1), r.integer(i, 2), r.integer(i, 3)});
  }
  return out;
}

}  // namespace chatstream::store::postgres::repo
