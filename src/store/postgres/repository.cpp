#include "store/postgres/repository.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "util/id.hpp"
#include "util/utf8.hpp"

namespace chatstream::store::postgres::repo {
namespace {

// ---- SQL ----------------------------------------------------------------------------

#define CONVERSATION_COLUMNS \
  "id, user_id, title, model, system_prompt, current_leaf_id, created_at, updated_at"
#define MESSAGE_COLUMNS                                                                      \
  "m.id, m.conversation_id, m.parent_id, m.role, m.content, m.status, m.model, m.provider, " \
  "m.finish_reason, m.prompt_tokens, m.completion_tokens, m.ttft_ms, m.duration_ms, "        \
  "m.error_message, m.error_code, m.delta_seq, m.created_at, m.updated_at"

constexpr const char* sql_create_migrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, "
    "name TEXT NOT NULL, applied_at BIGINT NOT NULL)";
// Session-level, keyed by the current schema: instances of one database take turns.
constexpr const char* sql_migration_lock =
    "SELECT pg_advisory_lock(hashtext('chatstream.migrations'), hashtext(current_schema()))";
constexpr const char* sql_migration_unlock =
    "SELECT pg_advisory_unlock(hashtext('chatstream.migrations'), hashtext(current_schema()))";
constexpr const char* sql_schema_version =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr const char* sql_record_migration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)";

// Title search is ASCII-case-insensitive (as SQLite's LIKE), whatever the database locale:
// the title is lowered with translate() and the pattern is lowered by the caller.
#define TITLE_MATCHES                                                    \
  "($2::text IS NULL OR translate(title, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', " \
  "'abcdefghijklmnopqrstuvwxyz') LIKE $2::text ESCAPE '\\')"

constexpr const char* sql_get_conversation =
    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE id = $1 AND user_id = $2";
constexpr const char* sql_list_first =
    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE user_id = $1 AND " TITLE_MATCHES
    " ORDER BY updated_at DESC, id DESC LIMIT $3";
constexpr const char* sql_list_after =
    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE user_id = $1 AND " TITLE_MATCHES
    " AND (updated_at, id) < ($4::bigint, $5::text) ORDER BY updated_at DESC, id DESC LIMIT $3";
constexpr const char* sql_insert_conversation = "INSERT INTO conversations (" CONVERSATION_COLUMNS
                                                ") VALUES ($1, $2, $3, $4, $5, NULL, $6, $6)";
constexpr const char* sql_update_conversation =
    "UPDATE conversations SET title = COALESCE($1::text, title), "
    "model = COALESCE($2::text, model), system_prompt = COALESCE($3::text, system_prompt), "
    "current_leaf_id = COALESCE($4::text, current_leaf_id), "
    "updated_at = COALESCE($5::bigint, updated_at) WHERE id = $6 AND user_id = $7";
constexpr const char* sql_delete_conversation =
    "DELETE FROM conversations WHERE id = $1 AND user_id = $2";
constexpr const char* sql_touch_conversation =
    "UPDATE conversations SET current_leaf_id = $1, updated_at = GREATEST(updated_at, $2::bigint) "
    "WHERE id = $3";

constexpr const char* sql_list_messages =
    "SELECT " MESSAGE_COLUMNS
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE m.conversation_id = $1 AND c.user_id = $2 ORDER BY m.created_at, m.seq";
constexpr const char* sql_get_message =
    "SELECT " MESSAGE_COLUMNS
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE m.id = $1 AND c.user_id = $2";
constexpr const char* sql_message_conversation =
    "SELECT conversation_id FROM messages WHERE id = $1";
// Walks parent links from the leaf up; depth bounds the walk even on corrupt data.
constexpr const char* sql_branch =
    "WITH RECURSIVE path(id, depth) AS ("
    "  SELECT m.id, 0 FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    "  WHERE m.id = $1 AND c.user_id = $2"
    "  UNION ALL"
    "  SELECT m.parent_id, path.depth + 1 FROM path JOIN messages m ON m.id = path.id"
    "  WHERE m.parent_id IS NOT NULL AND path.depth < 100000"
    ") SELECT " MESSAGE_COLUMNS
    " FROM path JOIN messages m ON m.id = path.id"
    " ORDER BY path.depth DESC";
constexpr const char* sql_insert_message =
    "INSERT INTO messages (id, conversation_id, parent_id, role, content, status, model, "
    "provider, finish_reason, prompt_tokens, completion_tokens, ttft_ms, duration_ms, "
    "error_message, error_code, delta_seq, created_at, updated_at) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18)";
constexpr const char* sql_progress =
    "UPDATE messages SET content = $1, delta_seq = $2, updated_at = $3"
    " WHERE id = $4 AND status = 'streaming'";
constexpr const char* sql_finish =
    "UPDATE messages SET content = $1, status = $2, finish_reason = $3, prompt_tokens = $4,"
    " completion_tokens = $5, ttft_ms = $6, duration_ms = $7, error_message = $8,"
    " error_code = $9, delta_seq = $10, updated_at = $11"
    " WHERE id = $12 AND status = 'streaming'";
constexpr const char* sql_mark_interrupted =
    "UPDATE messages SET status = 'interrupted', updated_at = $1 WHERE status = 'streaming'";
constexpr const char* sql_ping = "SELECT 1";

#undef TITLE_MATCHES
#undef CONVERSATION_COLUMNS
#undef MESSAGE_COLUMNS

// ---- row mapping --------------------------------------------------------------------

Conversation conversation_from(const Rows& r, int i) {
  Conversation c;
  c.id = r.text(i, 0);
  c.user_id = r.text(i, 1);
  c.title = r.text(i, 2);
  c.model = r.text(i, 3);
  c.system_prompt = r.text(i, 4);
  c.current_leaf_id = r.optional_text(i, 5);
  c.created_at_ms = r.integer(i, 6);
  c.updated_at_ms = r.integer(i, 7);
  return c;
}

Message message_from(const Rows& r, int i) {
  Message m;
  m.id = r.text(i, 0);
  m.conversation_id = r.text(i, 1);
  m.parent_id = r.optional_text(i, 2);
  m.role = role_from_string(r.text(i, 3)).value_or(Role::user);
  m.content = r.text(i, 4);
  m.status = message_status_from_string(r.text(i, 5)).value_or(MessageStatus::error);
  m.model = r.text(i, 6);
  m.provider = r.text(i, 7);
  m.finish_reason = r.optional_text(i, 8);
  m.prompt_tokens = r.optional_integer(i, 9);
  m.completion_tokens = r.optional_integer(i, 10);
  m.ttft_ms = r.optional_integer(i, 11);
  m.duration_ms = r.optional_integer(i, 12);
  m.error_message = r.optional_text(i, 13);
  m.error_code = r.optional_text(i, 14);
  m.delta_seq = r.integer(i, 15);
  m.created_at_ms = r.integer(i, 16);
  m.updated_at_ms = r.integer(i, 17);
  return m;
}

std::vector<Message> all_messages(const Rows& r) {
  std::vector<Message> out;
  out.reserve(static_cast<std::size_t>(r.size()));
  for (int i = 0; i < r.size(); ++i) out.push_back(message_from(r, i));
  return out;
}

std::string clean(std::string_view text) {
  return util::sanitize_utf8(text, true);
}

std::optional<std::string> clean_optional(const std::optional<std::string>& text) {
  if (!text) return std::nullopt;
  return clean(*text);
}

void clean_message(Message& m) {
  m.content = clean(m.content);
  m.model = clean(m.model);
  m.provider = clean(m.provider);
  m.finish_reason = clean_optional(m.finish_reason);
  m.error_message = clean_optional(m.error_message);
  m.error_code = clean_optional(m.error_code);
}

// A LIKE pattern for the ASCII-lowered title (see TITLE_MATCHES).
std::optional<std::string> like_pattern(const std::optional<std::string>& query) {
  if (!query || query->empty()) return std::nullopt;
  std::string pattern = "%";
  for (char ch : *query) {
    if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
    pattern += (ch >= 'A' && ch <= 'Z') ? static_cast<char>(ch - 'A' + 'a') : ch;
  }
  pattern += '%';
  return pattern;
}

struct Cursor {
  std::int64_t updated_at = 0;
  std::string id;
};

std::string encode_cursor(const Conversation& c) {
  return std::to_string(c.updated_at_ms) + ":" + c.id;
}

// A cursor made by encode_cursor, or a conversation id of this user.
std::optional<Cursor> decode_cursor(Connection& conn, const std::string& user_id,
                                    const std::string& text) {
  const auto colon = text.find(':');
  if (colon != std::string::npos) {
    Cursor cursor;
    const char* end = text.data() + colon;
    const auto [ptr, ec] = std::from_chars(text.data(), end, cursor.updated_at);
    cursor.id = text.substr(colon + 1);
    if (ec != std::errc{} || ptr != end || !util::is_valid_id(cursor.id)) return std::nullopt;
    return cursor;
  }
  const auto c = find_conversation(conn, user_id, text);
  if (!c) return std::nullopt;
  return Cursor{c->updated_at_ms, c->id};
}

bool message_in_conversation(Connection& conn, const std::string& id,
                             const std::string& conversation_id) {
  const Rows r = conn.query(sql_message_conversation).bind(id).rows();
  return !r.empty() && r.text(0, 0) == conversation_id;
}

void insert_message(Connection& conn, const Message& m) {
  auto q = conn.query(sql_insert_message);
  q.bind(m.id).bind(m.conversation_id).bind(m.parent_id);
  q.bind(to_string(m.role)).bind(m.content).bind(to_string(m.status));
  q.bind(m.model).bind(m.provider).bind(m.finish_reason);
  q.bind(m.prompt_tokens).bind(m.completion_tokens);
  q.bind(m.ttft_ms).bind(m.duration_ms);
  q.bind(m.error_message).bind(m.error_code).bind(m.delta_seq);
  q.bind(m.created_at_ms).bind(m.updated_at_ms);
  q.run();
}

}  // namespace

// ---- migrations ---------------------------------------------------------------------

namespace {

// Holds the migration advisory lock of the session; released even when migrating fails.
class MigrationLock {
 public:
  explicit MigrationLock(Connection& conn) : conn_(conn) { conn_.exec(sql_migration_lock); }
  ~MigrationLock() {
    try {
      conn_.exec(sql_migration_unlock);
    } catch (const StoreFailure&) {
      // The connection is gone, and with it the session's lock.
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  Connection& conn_;
};

std::int64_t schema_version(Connection& conn) {
  return conn.query(sql_schema_version).rows().integer(0, 0);
}

void apply(Connection& conn, const Migration& m, std::int64_t now) {
  conn.exec("BEGIN");
  try {
    if (schema_version(conn) < m.version) {
      conn.exec(m.sql);
      conn.query(sql_record_migration).bind(std::int64_t{m.version}).bind(m.name).bind(now).run();
    }
    conn.exec("COMMIT");
  } catch (const std::exception& e) {
    try {
      conn.exec("ROLLBACK");
    } catch (const StoreFailure&) {
      // The server rolls back a transaction whose connection is lost.
    }
    throw StoreFailure("store: migration " + std::string(m.name) + " failed: " + e.what());
  }
}

}  // namespace

void migrate(Connection& conn, std::span<const Migration> migrations, std::int64_t now) {
  const MigrationLock lock(conn);
  conn.exec(sql_create_migrations);
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (const auto version = schema_version(conn); version > newest) {
    throw StoreFailure("store: database schema version " + std::to_string(version) +
                       " is newer than this program supports (" + std::to_string(newest) + ")");
  }
  for (const Migration& m : migrations) apply(conn, m, now);
}

// ---- reads --------------------------------------------------------------------------

std::optional<Conversation> find_conversation(Connection& conn, const std::string& user_id,
                                              const std::string& id) {
  const Rows r = conn.query(sql_get_conversation).bind(id).bind(user_id).rows();
  if (r.empty()) return std::nullopt;
  return conversation_from(r, 0);
}

ConversationPage list_conversations(Connection& conn, const ListConversations& request) {
  const int limit = std::clamp(request.limit, 1, 200);
  std::optional<Cursor> cursor;
  if (request.before) {
    cursor = decode_cursor(conn, request.user_id, *request.before);
    if (!cursor) return {};
  }
  auto q = conn.query(cursor ? sql_list_after : sql_list_first);
  q.bind(request.user_id).bind(like_pattern(request.title_query));
  q.bind(std::int64_t{limit} + 1);
  if (cursor) q.bind(cursor->updated_at).bind(cursor->id);
  const Rows r = q.rows();
  ConversationPage page;
  for (int i = 0; i < r.size(); ++i) page.conversations.push_back(conversation_from(r, i));
  if (page.conversations.size() > static_cast<std::size_t>(limit)) {
    page.conversations.pop_back();
    page.next_before = encode_cursor(page.conversations.back());
  }
  return page;
}

std::vector<Message> list_messages(Connection& conn, const std::string& user_id,
                                   const std::string& conversation_id) {
  return all_messages(conn.query(sql_list_messages).bind(conversation_id).bind(user_id).rows());
}

std::optional<Message> find_message(Connection& conn, const std::string& user_id,
                                    const std::string& id) {
  const Rows r = conn.query(sql_get_message).bind(id).bind(user_id).rows();
  if (r.empty()) return std::nullopt;
  return message_from(r, 0);
}

std::vector<Message> branch(Connection& conn, const std::string& user_id,
                            const std::string& leaf_id) {
  return all_messages(conn.query(sql_branch).bind(leaf_id).bind(user_id).rows());
}

bool ping(Connection& conn) {
  const Rows r = conn.query(sql_ping).rows();
  return !r.empty() && r.integer(0, 0) == 1;
}

// ---- writes -------------------------------------------------------------------------

Conversation insert_conversation(Connection& conn, const NewConversation& n, std::int64_t now) {
  Conversation c;
  c.id = util::new_id();
  c.user_id = clean(n.user_id);
  c.title = clean(n.title);
  c.model = clean(n.model);
  c.system_prompt = clean(n.system_prompt);
  c.created_at_ms = c.updated_at_ms = now;
  auto q = conn.query(sql_insert_conversation);
  q.bind(c.id).bind(c.user_id).bind(c.title).bind(c.model);
  q.bind(c.system_prompt).bind(now);
  q.run();
  return c;
}

Result<Conversation> update_conversation(Connection& conn, const std::string& user_id,
                                         const std::string& id, const ConversationPatch& patch,
                                         std::int64_t now) {
  if (!find_conversation(conn, user_id, id)) return make_error_code(Errc::not_found);
  if (patch.current_leaf_id && !message_in_conversation(conn, *patch.current_leaf_id, id)) {
    return make_error_code(Errc::invalid_leaf);
  }
  // Switching branches is navigation: it does not move the conversation up the list.
  const bool content_change = patch.title || patch.model || patch.system_prompt;
  auto q = conn.query(sql_update_conversation);
  q.bind(patch.title).bind(patch.model).bind(patch.system_prompt);
  q.bind(patch.current_leaf_id);
  q.bind(content_change ? std::optional<std::int64_t>(now) : std::nullopt);
  q.bind(id).bind(user_id);
  q.run();
  auto updated = find_conversation(conn, user_id, id);
  if (!updated) return make_error_code(Errc::not_found);
  return *updated;
}

bool delete_conversation(Connection& conn, const std::string& user_id, const std::string& id) {
  return conn.query(sql_delete_conversation).bind(id).bind(user_id).run() > 0;
}

Result<std::vector<Message>> insert_messages(Connection& conn, const std::string& user_id,
                                             const std::string& conversation_id,
                                             std::vector<Message> messages, std::int64_t now) {
  if (!find_conversation(conn, user_id, conversation_id)) return make_error_code(Errc::not_found);
  // Validate everything first, so a domain failure writes nothing.
  std::unordered_set<std::string> batch;
  for (Message& m : messages) {
    if (m.id.empty()) m.id = util::new_id();
    m.conversation_id = conversation_id;
    if (m.parent_id && !batch.contains(*m.parent_id) &&
        !message_in_conversation(conn, *m.parent_id, conversation_id)) {
      return make_error_code(Errc::invalid_parent);
    }
    batch.insert(m.id);
    clean_message(m);
    if (m.created_at_ms == 0) m.created_at_ms = now;
    if (m.updated_at_ms == 0) m.updated_at_ms = m.created_at_ms;
  }
  for (const Message& m : messages) insert_message(conn, m);
  if (!messages.empty()) {
    conn.query(sql_touch_conversation)
        .bind(messages.back().id)
        .bind(now)
        .bind(conversation_id)
        .run();
  }
  return messages;
}

void write_progress(Connection& conn, const std::string& id, const std::string& content,
                    std::int64_t delta_seq, std::int64_t now) {
  conn.query(sql_progress).bind(content).bind(delta_seq).bind(now).bind(id).run();
}

bool finish_message(Connection& conn, const MessageFinal& f, std::int64_t now) {
  auto q = conn.query(sql_finish);
  q.bind(f.content).bind(to_string(f.status)).bind(f.finish_reason);
  q.bind(f.prompt_tokens).bind(f.completion_tokens).bind(f.ttft_ms);
  q.bind(f.duration_ms).bind(f.error_message).bind(f.error_code);
  q.bind(f.delta_seq).bind(now).bind(f.id);
  return q.run() > 0;
}

int mark_interrupted(Connection& conn, std::int64_t now) {
  return static_cast<int>(conn.query(sql_mark_interrupted).bind(now).run());
}

}  // namespace chatstream::store::postgres::repo
