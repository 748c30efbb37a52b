// SQLite-specific behaviour: URLs, WAL mode, embedded migrations, schema versions.
#include <sqlite3.h>
#include <unistd.h>

#include <filesystem>

#include "store/accounts.hpp"
#include "store/migrations.hpp"
#include "store_test_support.hpp"

namespace chatstream::store::test {
namespace {

namespace fs = std::filesystem;

class SqliteStore : public ::testing::Test {
 protected:
  void SetUp() override {
    static int counter = 0;
    dir_ = fs::temp_directory_path() / ("chatstream-sqlite-test-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(counter++));
    fs::remove_all(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // Runs `sql` on a separate raw connection and returns the first column of the first row.
  std::string query_raw(const fs::path& db, const std::string& sql) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    std::string out;
    if (sqlite3_prepare_v2(raw, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW && sqlite3_column_text(stmt, 0) != nullptr) {
      out = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0));
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return out;
  }

  // SQL that makes a database as an older version left it: the first `versions` migrations
  // applied and recorded, nothing after them.
  static std::string schema_at(std::size_t versions) {
    const auto migrations = sqlite_migrations();
    std::string sql =
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
        " applied_at INTEGER NOT NULL);";
    for (std::size_t i = 0; i < versions && i < migrations.size(); ++i) {
      sql += std::string(migrations[i].sql);
      sql += "INSERT INTO schema_migrations VALUES (" + std::to_string(migrations[i].version) +
             ", '" + std::string(migrations[i].name) + "', 0);";
    }
    return sql;
  }

  // How many times `opcode` appears in the program SQLite compiles for `sql` (EXPLAIN).
  int count_opcode(const fs::path& db, const std::string& sql, std::string_view opcode) {
    sqlite3* raw = nullptr;
    EXPECT_EQ(sqlite3_open(db.c_str(), &raw), SQLITE_OK);
    sqlite3_stmt* stmt = nullptr;
    int found = -1;
    if (sqlite3_prepare_v2(raw, ("EXPLAIN " + sql).c_str(), -1, &stmt, nullptr) == SQLITE_OK) {
      found = 0;
      while (sqlite3_step(stmt) == SQLITE_ROW) {
        const auto* op = sqlite3_column_text(stmt, 1);
        if (op != nullptr && reinterpret_cast<const char*>(op) == opcode) ++found;
      }
    }
    sqlite3_finalize(stmt);
    sqlite3_close(raw);
    return found;
  }

  // Runs statements on a separate raw connection (creating the file); false on failure.
  bool exec_raw(const fs::path& db, const std::string& sql) {
    sqlite3* raw = nullptr;
    bool ok = sqlite3_open(db.c_str(), &raw) == SQLITE_OK;
    ok = ok && sqlite3_exec(raw, sql.c_str(), nullptr, nullptr, nullptr) == SQLITE_OK;
    sqlite3_close(raw);
    return ok;
  }

  fs::path dir_;
};

TEST_F(SqliteStore, MigrationsAreEmbeddedInOrder) {
  const auto migrations = sqlite_migrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "0001_init");
  EXPECT_NE(migrations[0].sql.find("CREATE TABLE messages"), std::string_view::npos);
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].version, migrations[i].version);
  }
}

TEST_F(SqliteStore, CreatesTheDataDirectoryAndUsesWal) {
  const fs::path db = dir_ / "data" / "nested" / "chat.db";
  StoreConfig config;
  config.url = "sqlite:" + db.string();
  {
    auto store = open_store(config);
    EXPECT_TRUE(sync(store->ping()));
  }
  EXPECT_TRUE(fs::exists(db));
  EXPECT_EQ(query_raw(db, "PRAGMA journal_mode"), "wal");
}

TEST_F(SqliteStore, AcceptsUrlForms) {
  fs::create_directories(dir_);
  for (const std::string& url :
       {"sqlite:" + (dir_ / "a.db").string(), "sqlite://" + (dir_ / "b.db").string(),
        (dir_ / "c.db").string()}) {
    StoreConfig config;
    config.url = url;
    EXPECT_NO_THROW(open_store(config)) << url;
  }
  EXPECT_TRUE(fs::exists(dir_ / "a.db"));
  EXPECT_TRUE(fs::exists(dir_ / "b.db"));
  EXPECT_TRUE(fs::exists(dir_ / "c.db"));
  for (const std::string url : {"", "sqlite:", ":memory:", "sqlite::memory:"}) {
    StoreConfig config;
    config.url = url;
    EXPECT_THROW(open_store(config), StoreFailure) << url;
  }
  StoreConfig pg;
  pg.url = "postgres://127.0.0.1:1/chat";
  try {
    open_store(pg);
    ADD_FAILURE() << "postgres URL accepted";
  } catch (const StoreFailure& e) {
    EXPECT_NE(std::string(e.what()).find("PostgreSQL"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStore, MigrationsAreAppliedOnceAcrossReopens) {
  const fs::path db = dir_ / "chat.db";
  StoreConfig config;
  config.url = db.string();
  for (int i = 0; i < 3; ++i) open_store(config);
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM schema_migrations"),
            std::to_string(sqlite_migrations().size()));
  EXPECT_EQ(query_raw(db, "SELECT MAX(version) FROM schema_migrations"),
            std::to_string(sqlite_migrations().back().version));
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages_streaming'"),
            "1");
}

TEST_F(SqliteStore, RefusesADatabaseFromANewerVersion) {
  const fs::path db = dir_ / "chat.db";
  StoreConfig config;
  config.url = db.string();
  open_store(config);
  query_raw(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (9999, 'x', 0)");
  try {
    open_store(config);
    ADD_FAILURE() << "opened a newer schema";
  } catch (const StoreFailure& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST_F(SqliteStore, ForeignKeysAreEnforced) {
  const fs::path db = dir_ / "chat.db";
  StoreConfig config;
  config.url = db.string();
  auto store = open_store(config);
  const auto c = sync(store->create_conversation({}));
  Message m;
  m.content = "x";
  const auto stored = sync(store->insert_messages("local", c.id, {m})).value();
  sync(store->delete_conversation("local", c.id));
  store.reset();
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM messages"), "0");
}

// Writes that never pause (one after another, as on a busy server) still get the WAL
// started again: it stays near the checkpoint threshold instead of growing with every write.
TEST_F(SqliteStore, TheWalStaysBoundedUnderWritesThatNeverPause) {
  const fs::path db = dir_ / "chat.db";
  StoreConfig config;
  config.url = db.string();
  auto store = open_store(config);
  std::uintmax_t largest = 0;
  for (int i = 0; i < 3000; ++i) {  // ~10 pages each: ~30 checkpoint thresholds, ~120 MB
    const auto c = sync(store->create_conversation({}));
    Message question;
    question.content = std::string(600, 'q');
    Message answer;
    answer.role = Role::assistant;
    answer.content = std::string(1200, 'a');
    sync(store->insert_messages("local", c.id, {question, answer})).value();
    if (i % 100 == 99) largest = std::max(largest, fs::file_size(fs::path(db.string() + "-wal")));
  }
  // Restarted by the commit that takes it to four checkpoint thresholds (4,000 pages, 16 MB);
  // never restarted, the WAL holds everything written here.
  EXPECT_LT(largest, 20U * 1024 * 1024) << largest;
}

// A database made by the version before accounts existed (schema 1 only) is upgraded in
// place: its conversations stay where they were, and accounts work.
TEST_F(SqliteStore, UpgradesAHistoryOnlyDatabaseKeepingItsData) {
  fs::create_directories(dir_);
  const fs::path db = dir_ / "old.db";
  const auto migrations = sqlite_migrations();
  ASSERT_GE(migrations.size(), 2U);
  ASSERT_EQ(migrations[1].name, "0002_accounts");
  ASSERT_TRUE(exec_raw(
      db, schema_at(1) + "INSERT INTO conversations (id, user_id, title, created_at, updated_at)"
                         " VALUES ('01HZZZZZZZZZZZZZZZZZZZZZZZ', 'local', 'kept', 1, 1);"));
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'users'"), "0");
  StoreConfig config;
  config.url = db.string();
  auto store = open_store(config);
  const auto page = sync(store->list_conversations({}));
  ASSERT_EQ(page.conversations.size(), 1U);
  EXPECT_EQ(page.conversations[0].title, "kept");
  const auto user = sync(store->accounts().create_user({"someone", UserRole::admin, "h"}));
  ASSERT_TRUE(user.has_value());
  EXPECT_EQ(sync(store->accounts().count_users()), 1);
  store.reset();
  EXPECT_EQ(query_raw(db, "SELECT MAX(version) FROM schema_migrations"),
            std::to_string(migrations.back().version));
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'usage_daily'"), "1");
}

// A database at schema 2 gets the messages table rebuilt with comparison CHECKs: every row,
// row id (the order of messages created in the same millisecond), parent link and
// conversation's current leaf survives (the old table's drop must not cascade or clear them).
TEST_F(SqliteStore, RebuildsTheMessagesTableKeepingRowsLinksAndOrder) {
  fs::create_directories(dir_);
  const fs::path db = dir_ / "v2.db";
  const auto migrations = sqlite_migrations();
  ASSERT_GE(migrations.size(), 3U);
  ASSERT_EQ(migrations[2].name, "0003_message_checks");
  ASSERT_TRUE(exec_raw(
      db, schema_at(2) +
              "INSERT INTO conversations (id, title, current_leaf_id, created_at, updated_at)"
              " VALUES ('c1', 'kept', 'm3', 1, 1);"
              "INSERT INTO messages (rowid, id, conversation_id, parent_id, role, content, status,"
              " created_at, updated_at) VALUES"
              " (7, 'm1', 'c1', NULL, 'user', 'hello', 'complete', 5, 5),"
              " (8, 'm3', 'c1', 'm1', 'assistant', 'partial', 'streaming', 5, 5),"
              " (9, 'm2', 'c1', 'm1', 'assistant', 'done', 'complete', 5, 6);"));
  StoreConfig config;
  config.url = db.string();
  auto store = open_store(config);
  const auto listed = sync(store->list_messages("local", "c1"));
  ASSERT_EQ(listed.size(), 3U);
  EXPECT_EQ(listed[0].id, "m1");
  EXPECT_EQ(listed[1].id, "m3");  // same created_at as m1: row id order
  EXPECT_EQ(listed[2].id, "m2");
  EXPECT_EQ(listed[1].parent_id, std::optional<std::string>("m1"));
  EXPECT_EQ(listed[1].content, "partial");
  store.reset();
  EXPECT_EQ(query_raw(db, "SELECT current_leaf_id FROM conversations WHERE id = 'c1'"), "m3");
  EXPECT_EQ(query_raw(db,
                      "SELECT group_concat(x, ',') FROM (SELECT rowid || id AS x FROM messages "
                      "ORDER BY rowid)"),
            "7m1,8m3,9m2");
  EXPECT_EQ(query_raw(db, "SELECT MAX(version) FROM schema_migrations"), "3");
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'messages_rebuilt'"),
            "0");
  EXPECT_EQ(query_raw(db,
                      "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND"
                      " tbl_name = 'messages' AND name LIKE 'messages_%'"),
            "3");
  EXPECT_EQ(query_raw(db, "PRAGMA integrity_check"), "ok");
  // Foreign keys are on again after the migrations: deleting the conversation cascades.
  store = open_store(config);
  sync(store->delete_conversation("local", "c1"));
  store.reset();
  EXPECT_EQ(query_raw(db, "SELECT COUNT(*) FROM messages"), "0");
}

// The CHECKs keep their rules, and writing a message compiles to no temporary b-tree (an IN
// list of more than two values in a CHECK builds one for every row written).
TEST_F(SqliteStore, MessageChecksHoldWithoutTemporaryTables) {
  const fs::path db = dir_ / "chat.db";
  StoreConfig config;
  config.url = db.string();
  open_store(config);
  const std::string insert =
      "INSERT INTO messages (id, conversation_id, role, status, created_at, updated_at)"
      " VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
  EXPECT_EQ(count_opcode(db, insert, "OpenEphemeral"), 0);
  EXPECT_EQ(count_opcode(db,
                         "UPDATE messages SET status = ?1, content = ?2 WHERE id = ?3 AND"
                         " status = 'streaming'",
                         "OpenEphemeral"),
            0);
  ASSERT_TRUE(exec_raw(db,
                       "INSERT INTO conversations (id, created_at, updated_at)"
                       " VALUES ('c1', 1, 1)"));
  for (const char* role : {"system", "user", "assistant"}) {
    EXPECT_TRUE(exec_raw(db, std::string("INSERT INTO messages (id, conversation_id, role,"
                                         " status, created_at, updated_at) VALUES ('") +
                                 role + "', 'c1', '" + role + "', 'complete', 1, 1)"))
        << role;
  }
  for (const char* status : {"streaming", "cancelled", "error", "interrupted"}) {
    EXPECT_TRUE(exec_raw(
        db, std::string("UPDATE messages SET status = '") + status + "' WHERE id = 'user'"))
        << status;
  }
  EXPECT_FALSE(exec_raw(db,
                        "INSERT INTO messages (id, conversation_id, role, status,"
                        " created_at, updated_at) VALUES ('x', 'c1', 'robot', 'complete', 1,"
                        " 1)"));
  EXPECT_FALSE(exec_raw(db, "UPDATE messages SET status = 'paused' WHERE id = 'user'"));
  EXPECT_FALSE(exec_raw(db, "UPDATE messages SET role = NULL WHERE id = 'user'"));
  EXPECT_EQ(query_raw(db, "SELECT status FROM messages WHERE id = 'user'"), "interrupted");
}

}  // namespace
}  // namespace chatstream::store::test
