#include "store/sqlite/connection.hpp"

#include <sqlite3.h>

#include <string>

#include "store/store.hpp"
#include "util/utf8.hpp"

namespace chatstream::store::sqlite {
namespace {

bool needs_sanitizing(std::string_view text) noexcept {
  return text.find('\0') != std::string_view::npos || !util::is_valid_utf8(text);
}

}  // namespace

// ---- Query ---------------------------------------------------------------------------

Query::~Query() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

Query& Query::bind(int index, std::string_view text) {
  int rc = 0;
  if (needs_sanitizing(text)) {
    const std::string clean = util::sanitize_utf8(text, true);
    rc = sqlite3_bind_text64(stmt_, index, clean.data(), clean.size(), SQLITE_TRANSIENT,
                             SQLITE_UTF8);
  } else {
    rc = sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
  }
  if (rc != SQLITE_OK) conn_->fail("bind", rc);
  return *this;
}

Query& Query::bind(int index, std::int64_t value) {
  const int rc = sqlite3_bind_int64(stmt_, index, value);
  if (rc != SQLITE_OK) conn_->fail("bind", rc);
  return *this;
}

Query& Query::bind(int index, const std::optional<std::string>& text) {
  return text ? bind(index, std::string_view(*text)) : bind_null(index);
}

Query& Query::bind(int index, const std::optional<std::int64_t>& value) {
  return value ? bind(index, *value) : bind_null(index);
}

Query& Query::bind_null(int index) {
  const int rc = sqlite3_bind_null(stmt_, index);
  if (rc != SQLITE_OK) conn_->fail("bind", rc);
  return *this;
}

bool Query::step() {
  const int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) {
    if (!sqlite3_stmt_readonly(stmt_)) {
      ++conn_->statements_;
      conn_->rows_ += static_cast<std::uint64_t>(sqlite3_changes64(conn_->db_));
    }
    return false;
  }
  conn_->fail("step", rc);
}

std::int64_t Query::run() {
  while (step()) {
  }
  return sqlite3_changes64(conn_->db_);
}

std::string Query::text(int column) const {
  const auto* data = sqlite3_column_text(stmt_, column);
  const auto size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(data), static_cast<std::size_t>(size));
}

std::optional<std::string> Query::optional_text(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return text(column);
}

std::int64_t Query::integer(int column) const {
  return sqlite3_column_int64(stmt_, column);
}

std::optional<std::int64_t> Query::optional_integer(int column) const {
  if (sqlite3_column_type(stmt_, column) == SQLITE_NULL) return std::nullopt;
  return integer(column);
}

// ---- Connection ----------------------------------------------------------------------

void Connection::StmtDeleter::operator()(sqlite3_stmt* stmt) const noexcept {
  sqlite3_finalize(stmt);
}

std::unique_ptr<Connection> Connection::open(const std::string& path, OpenMode mode,
                                             int busy_timeout_ms) {
  int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX;
  if (mode == OpenMode::writer) flags |= SQLITE_OPEN_CREATE;
  sqlite3* db = nullptr;
  const int rc = sqlite3_open_v2(path.c_str(), &db, flags, nullptr);
  // Even on failure SQLite usually returns a handle that holds the message.
  auto conn = std::make_unique<Connection>(Key{}, db, path);
  if (db == nullptr) {
    throw StoreFailure("store: cannot open SQLite database '" + path + "': out of memory");
  }
  if (rc != SQLITE_OK) conn->fail("cannot open SQLite database", rc);
  sqlite3_extended_result_codes(db, 1);
  conn->configure(mode, busy_timeout_ms);
  return conn;
}

void Connection::configure(OpenMode mode, int busy_timeout_ms) {
  busy_timeout_ms_ = busy_timeout_ms;
  sqlite3_busy_timeout(db_, busy_timeout_ms);
  if (mode == OpenMode::writer) {
    // The first statement that reads the file: a corrupt or foreign file fails here.
    auto q = query("PRAGMA journal_mode=WAL");
    if (!q.step() || q.text(0) != "wal") {
      throw StoreFailure("store: SQLite database '" + path_ + "' cannot use WAL mode");
    }
    // When the WAL starts again from its beginning, a file grown larger than this (by a burst
    // of writes, or before checkpoints restarted it) is cut back at the next commit.
    exec("PRAGMA journal_size_limit=16777216");
  }
  exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;");
  if (mode == OpenMode::reader) exec("PRAGMA query_only=ON;");
}

void Connection::set_commit_listener(std::function<void(int wal_pages)> listener) {
  commit_listener_ = std::move(listener);
  sqlite3_wal_hook(
      db_,
      [](void* self, sqlite3*, const char*, int pages) {
        auto& listener = static_cast<Connection*>(self)->commit_listener_;
        if (listener) listener(pages);
        return SQLITE_OK;
      },
      this);
}

Connection::CheckpointResult Connection::checkpoint(Checkpoint mode, int wait_ms, int& wal_pages,
                                                    int& checkpointed) noexcept {
  wal_pages = 0;
  checkpointed = 0;
  const bool restart = mode == Checkpoint::restart;
  if (restart) sqlite3_busy_timeout(db_, wait_ms);
  const int rc = sqlite3_wal_checkpoint_v2(
      db_, nullptr, restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE, &wal_pages,
      &checkpointed);
  if (restart) sqlite3_busy_timeout(db_, busy_timeout_ms_);
  if (rc == SQLITE_OK) return CheckpointResult::done;
  // BUSY: the writer or a reader held on past the busy timeout; what could be copied was.
  return (rc & 0xff) == SQLITE_BUSY ? CheckpointResult::busy : CheckpointResult::failed;
}

Connection::~Connection() {
  cache_.clear();  // finalize statements before closing
  sqlite3_close_v2(db_);
}

void Connection::exec(std::string_view sql) {
  const std::string text(sql);
  char* message = nullptr;
  const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message);
  if (rc != SQLITE_OK) {
    const std::string detail = message != nullptr ? message : sqlite3_errstr(rc);
    sqlite3_free(message);
    throw StoreFailure("store: SQLite exec failed on '" + path_ + "': " + detail);
  }
}

sqlite3_stmt* Connection::cached(const char* sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    const int rc = sqlite3_prepare_v3(db_, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) fail("prepare", rc);
    it = cache_.emplace(sql, std::unique_ptr<sqlite3_stmt, StmtDeleter>(stmt)).first;
  }
  return it->second.get();
}

Query Connection::query(const char* sql) {
  return Query(*this, cached(sql));
}

void Connection::control(const char* sql) {
  sqlite3_stmt* stmt = cached(sql);
  const int rc = sqlite3_step(stmt);
  sqlite3_reset(stmt);
  if (rc != SQLITE_DONE) fail(sql, rc);
}

void Connection::fail(std::string_view what, int code) const {
  std::string detail = sqlite3_errstr(code);
  if (db_ != nullptr && sqlite3_errcode(db_) == code) detail = sqlite3_errmsg(db_);
  throw StoreFailure("store: " + std::string(what) + " on SQLite database '" + path_ +
                     "': " + detail);
}

}  // namespace chatstream::store::sqlite
