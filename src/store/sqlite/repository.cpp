#include "store/sqlite/repository.hpp"

#include <algorithm>
#include <charconv>
#include <unordered_set>

#include "util/id.hpp"
#include "util/utf8.hpp"

namespace chatstream::store::sqlite::repo {
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
    "name TEXT NOT NULL, applied_at INTEGER NOT NULL)";
constexpr const char* sql_schema_version =
    "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
constexpr const char* sql_foreign_key_check = "PRAGMA foreign_key_check";
constexpr const char* sql_record_migration =
    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)";

constexpr const char* sql_get_conversation =
    "SELECT " CONVERSATION_COLUMNS " FROM conversations WHERE id = ?1 AND user_id = ?2";
constexpr const char* sql_list_first =
    "SELECT " CONVERSATION_COLUMNS
    " FROM conversations WHERE user_id = ?1 AND (?2 IS NULL OR title LIKE ?2 ESCAPE '\\')"
    " ORDER BY updated_at DESC, id DESC LIMIT ?3";
constexpr const char* sql_list_after =
    "SELECT " CONVERSATION_COLUMNS
    " FROM conversations WHERE user_id = ?1 AND (?2 IS NULL OR title LIKE ?2 ESCAPE '\\')"
    " AND (updated_at, id) < (?4, ?5) ORDER BY updated_at DESC, id DESC LIMIT ?3";
constexpr const char* sql_insert_conversation = "INSERT INTO conversations (" CONVERSATION_COLUMNS
                                                ") VALUES (?1, ?2, ?3, ?4, ?5, NULL, ?6, ?6)";
constexpr const char* sql_update_conversation =
    "UPDATE conversations SET title = COALESCE(?1, title), model = COALESCE(?2, model), "
    "system_prompt = COALESCE(?3, system_prompt), "
    "current_leaf_id = COALESCE(?4, current_leaf_id), updated_at = COALESCE(?5, updated_at) "
    "WHERE id = ?6 AND user_id = ?7";
constexpr const char* sql_delete_conversation =
    "DELETE FROM conversations WHERE id = ?1 AND user_id = ?2";
constexpr const char* sql_touch_conversation =
    "UPDATE conversations SET current_leaf_id = ?1, updated_at = MAX(updated_at, ?2) "
    "WHERE id = ?3";

constexpr const char* sql_list_messages =
    "SELECT " MESSAGE_COLUMNS
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE m.conversation_id = ?1 AND c.user_id = ?2 ORDER BY m.created_at, m.rowid";
constexpr const char* sql_get_message =
    "SELECT " MESSAGE_COLUMNS
    " FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    " WHERE m.id = ?1 AND c.user_id = ?2";
constexpr const char* sql_message_conversation =
    "SELECT conversation_id FROM messages WHERE id = ?1";
// Walks parent links from the leaf up; depth bounds the walk even on corrupt data.
constexpr const char* sql_branch =
    "WITH RECURSIVE path(id, depth) AS ("
    "  SELECT m.id, 0 FROM messages m JOIN conversations c ON c.id = m.conversation_id"
    "  WHERE m.id = ?1 AND c.user_id = ?2"
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
    "(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)";
constexpr const char* sql_progress =
    "UPDATE messages SET content = ?1, delta_seq = ?2, updated_at = ?3"
    " WHERE id = ?4 AND status = 'streaming'";
constexpr const char* sql_finish =
    "UPDATE messages SET content = ?1, status = ?2, finish_reason = ?3, prompt_tokens = ?4,"
    " completion_tokens = ?5, ttft_ms = ?6, duration_ms = ?7, error_message = ?8,"
    " error_code = ?9, delta_seq = ?10, updated_at = ?11"
    " WHERE id = ?12 AND status = 'streaming'";
constexpr const char* sql_mark_interrupted =
    "UPDATE messages SET status = 'interrupted', updated_at = ?1 WHERE status = 'streaming'";
constexpr const char* sql_ping = "SELECT 1";

#undef CONVERSATION_COLUMNS
#undef MESSAGE_COLUMNS

// ---- row mapping --------------------------------------------------------------------

Conversation conversation_from(const Query& q) {
  Conversation c;
  c.id = q.text(0);
  c.user_id = q.text(1);
  c.title = q.text(2);
  c.model = q.text(3);
  c.system_prompt = q.text(4);
  c.current_leaf_id = q.optional_text(5);
  c.created_at_ms = q.integer(6);
  c.updated_at_ms = q.integer(7);
  return c;
}

Message message_from(const Query& q) {
  Message m;
  m.id = q.text(0);
  m.conversation_id = q.text(1);
  m.parent_id = q.optional_text(2);
  m.role = role_from_string(q.text(3)).value_or(Role::user);
  m.content = q.text(4);
  m.status = message_status_from_string(q.text(5)).value_or(MessageStatus::error);
  m.model = q.text(6);
  m.provider = q.text(7);
  m.finish_reason = q.optional_text(8);
  m.prompt_tokens = q.optional_integer(9);
  m.completion_tokens = q.optional_integer(10);
  m.ttft_ms = q.optional_integer(11);
  m.duration_ms = q.optional_integer(12);
  m.error_message = q.optional_text(13);
  m.error_code = q.optional_text(14);
  m.delta_seq = q.integer(15);
  m.created_at_ms = q.integer(16);
  m.updated_at_ms = q.integer(17);
  return m;
}

std::vector<Message> all_messages(Query& q) {
  std::vector<Message> out;
  while (q.step()) out.push_back(message_from(q));
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

std::optional<std::string> like_pattern(const std::optional<std::string>& query) {
  if (!query || query->empty()) return std::nullopt;
  std::string pattern = "%";
  for (char ch : *query) {
    if (ch == '%' || ch == '_' || ch == '\\') pattern += '\\';
    pattern += ch;
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
  auto q = conn.query(sql_message_conversation);
  q.bind(1, id);
  return q.step() && q.text(0) == conversation_id;
}

void insert_message(Connection& conn, const Message& m) {
  auto q = conn.query(sql_insert_message);
  q.bind(1, m.id).bind(2, m.conversation_id).bind(3, m.parent_id);
  q.bind(4, to_string(m.role)).bind(5, m.content).bind(6, to_string(m.status));
  q.bind(7, m.model).bind(8, m.provider).bind(9, m.finish_reason);
  q.bind(10, m.prompt_tokens).bind(11, m.completion_tokens);
  q.bind(12, m.ttft_ms).bind(13, m.duration_ms);
  q.bind(14, m.error_message).bind(15, m.error_code).bind(16, m.delta_seq);
  q.bind(17, m.created_at_ms).bind(18, m.updated_at_ms);
  q.run();
}

}  // namespace

// ---- migrations ---------------------------------------------------------------------

void migrate(Connection& conn, std::span<const Migration> migrations, std::int64_t now) {
  conn.exec(sql_create_migrations);
  const auto version = [&conn] {
    auto q = conn.query(sql_schema_version);
    q.step();
    return q.integer(0);
  };
  const int newest = migrations.empty() ? 0 : migrations.back().version;
  if (version() > newest) {
    throw StoreFailure("store: database schema version " + std::to_string(version()) +
                       " is newer than this program supports (" + std::to_string(newest) + ")");
  }
  // Foreign keys are off while migrations run (SQLite's procedure for schema changes: a table
  // rebuilt by a migration must not fire ON DELETE actions when its old copy is dropped); each
  // migration is checked against them before it commits. They are on again afterwards, also
  // when a migration fails.
  if (version() < newest) {
    conn.exec("PRAGMA foreign_keys=OFF");
  }
  struct ForeignKeysBackOn {
    Connection& conn;
    ~ForeignKeysBackOn() {
      try {
        conn.exec("PRAGMA foreign_keys=ON");
      } catch (const std::exception&) {  // nothing to add to the failure being reported
      }
    }
  } back_on{conn};
  for (const Migration& m : migrations) {
    conn.exec("BEGIN IMMEDIATE");
    try {
      if (version() < m.version) {  // re-checked under the write lock
        conn.exec(m.sql);
        auto violations = conn.query(sql_foreign_key_check);
        if (violations.step()) {
          throw StoreFailure("a row of table " + violations.text(0) +
                             " references a missing row of table " + violations.text(2));
        }
        conn.query(sql_record_migration).bind(1, m.version).bind(2, m.name).bind(3, now).run();
      }
      conn.exec("COMMIT");
    } catch (const std::exception& e) {
      conn.exec("ROLLBACK");
      throw StoreFailure("store: migration " + std::string(m.name) + " failed: " + e.what());
    }
  }
}

// ---- reads --------------------------------------------------------------------------

std::optional<Conversation> find_conversation(Connection& conn, const std::string& user_id,
                                              const std::string& id) {
  auto q = conn.query(sql_get_conversation);
  q.bind(1, id).bind(2, user_id);
  if (!q.step()) return std::nullopt;
  return conversation_from(q);
}

ConversationPage list_conversations(Connection& conn, const ListConversations& request) {
  const int limit = std::clamp(request.limit, 1, 200);
  std::optional<Cursor> cursor;
  if (request.before) {
    cursor = decode_cursor(conn, request.user_id, *request.before);
    if (!cursor) return {};
  }
  auto q = conn.query(cursor ? sql_list_after : sql_list_first);
  q.bind(1, request.user_id).bind(2, like_pattern(request.title_query));
  q.bind(3, std::int64_t{limit} + 1);
  if (cursor) q.bind(4, cursor->updated_at).bind(5, cursor->id);
  ConversationPage page;
  while (q.step()) page.conversations.push_back(conversation_from(q));
  if (page.conversations.size() > static_cast<std::size_t>(limit)) {
    page.conversations.pop_back();
    page.next_before = encode_cursor(page.conversations.back());
  }
  return page;
}

std::vector<Message> list_messages(Connection& conn, const std::string& user_id,
                                   const std::string& conversation_id) {
  auto q = conn.query(sql_list_messages);
  q.bind(1, conversation_id).bind(2, user_id);
  return all_messages(q);
}

std::optional<Message> find_message(Connection& conn, const std::string& user_id,
                                    const std::string& id) {
  auto q = conn.query(sql_get_message);
  q.bind(1, id).bind(2, user_id);
  if (!q.step()) return std::nullopt;
  return message_from(q);
}

std::vector<Message> branch(Connection& conn, const std::string& user_id,
                            const std::string& leaf_id) {
  auto q = conn.query(sql_branch);
  q.bind(1, leaf_id).bind(2, user_id);
  return all_messages(q);
}

bool ping(Connection& conn) {
  auto q = conn.query(sql_ping);
  return q.step() && q.integer(0) == 1;
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
  q.bind(1, c.id).bind(2, c.user_id).bind(3, c.title).bind(4, c.model);
  q.bind(5, c.system_prompt).bind(6, now);
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
  q.bind(1, patch.title).bind(2, patch.model).bind(3, patch.system_prompt);
  q.bind(4, patch.current_leaf_id);
  q.bind(5, content_change ? std::optional<std::int64_t>(now) : std::nullopt);
  q.bind(6, id).bind(7, user_id);
  q.run();
  auto updated = find_conversation(conn, user_id, id);
  if (!updated) return make_error_code(Errc::not_found);
  return *updated;
}

bool delete_conversation(Connection& conn, const std::string& user_id, const std::string& id) {
  return conn.query(sql_delete_conversation).bind(1, id).bind(2, user_id).run() > 0;
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
        .bind(1, messages.back().id)
        .bind(2, now)
        .bind(3, conversation_id)
        .run();
  }
  return messages;
}

void write_progress(Connection& conn, const std::string& id, const std::string& content,
                    std::int64_t delta_seq, std::int64_t now) {
  conn.query(sql_progress).bind(1, content).bind(2, delta_seq).bind(3, now).bind(4, id).run();
}

bool finish_message(Connection& conn, const MessageFinal& f, std::int64_t now) {
  auto q = conn.query(sql_finish);
  q.bind(1, f.content).bind(2, to_string(f.status)).bind(3, f.finish_reason);
  q.bind(4, f.prompt_tokens).bind(5, f.completion_tokens).bind(6, f.ttft_ms);
  q.bind(7, f.duration_ms).bind(8, f.error_message).bind(9, f.error_code);
  q.bind(10, f.delta_seq).bind(11, now).bind(12, f.id);
  return q.run() > 0;
}

int mark_interrupted(Connection& conn, std::int64_t now) {
  return static_cast<int>(conn.query(sql_mark_interrupted).bind(1, now).run());
}

}  // namespace chatstream::store::sqlite::repo
