// A thin RAII layer over one sqlite3 connection: open with the project's pragmas, run SQL,
// and cached prepared statements. A Connection is used by one thread at a time.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace chatstream::store::sqlite {

class Connection;

// A prepared statement borrowed from the connection's cache. Parameters are 1-based,
// columns 0-based. On destruction it is reset and its bindings cleared.
class Query {
 public:
  Query(Connection& conn, sqlite3_stmt* stmt) noexcept : conn_(&conn), stmt_(stmt) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query();

  // Text is bound as valid UTF-8 (ill-formed bytes and U+0000 become U+FFFD).
  Query& bind(int index, std::string_view text);
  Query& bind(int index, const char* text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, const std::string& text) { return bind(index, std::string_view(text)); }
  Query& bind(int index, std::int64_t value);
  Query& bind(int index, const std::optional<std::string>& text);
  Query& bind(int index, const std::optional<std::int64_t>& value);
  Query& bind_null(int index);

  // Advances; true when a row is available. Throws StoreFailure on errors.
  bool step();
  // Steps to completion; returns the number of rows changed.
  std::int64_t run();

  std::string text(int column) const;
  std::optional<std::string> optional_text(int column) const;
  std::int64_t integer(int column) const;
  std::optional<std::int64_t> optional_integer(int column) const;

 private:
  Connection* conn_;
  sqlite3_stmt* stmt_;
};

// writer: creates the file, WAL mode. reader: query_only. maintenance: checkpoints only.
enum class OpenMode { writer, reader, maintenance };

class Connection {
 public:
  // Opens `path` (creating it in writer mode) with WAL, synchronous=NORMAL, foreign keys
  // and the busy timeout. Readers are query_only. Throws StoreFailure.
  static std::unique_ptr<Connection> open(const std::string& path, OpenMode mode,
                                          int busy_timeout_ms);

 private:
  struct Key {
    explicit Key() = default;
  };

 public:
  // Use open(); public only so that make_unique can call it.
  Connection(Key, sqlite3* db, std::string path) noexcept : db_(db), path_(std::move(path)) {}
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without results (pragmas, DDL, BEGIN/COMMIT).
  void exec(std::string_view sql);
  // Borrows the cached prepared statement for `sql`. The cache is keyed by the pointer, so
  // pass string literals / constants with static storage.
  Query query(const char* sql);
  // Runs one transaction-control statement (BEGIN IMMEDIATE, COMMIT, SAVEPOINT x, RELEASE x)
  // from the statement cache, like query() (same rule for `sql`): exec() would parse the text
  // each time. Not counted as a write.
  void control(const char* sql);

  // Throws StoreFailure with `what`, SQLite's message and the path.
  [[noreturn]] void fail(std::string_view what, int code) const;

  // After each commit on this connection, `listener` gets the number of pages in the WAL.
  // Replaces SQLite's automatic checkpoint: no commit here copies pages into the database
  // file any more. An empty listener removes it (and leaves checkpoints off).
  void set_commit_listener(std::function<void(int wal_pages)> listener);
  // A checkpoint of the WAL in SQLite's mode: PASSIVE copies what it can and never waits;
  // RESTART waits up to `wait_ms` for a writer's lock and for readers to leave the WAL, so
  // that the next write transaction starts the WAL again from its beginning. `wal_pages`
  // and `checkpointed`: the frames in the WAL and those copied back. busy: a writer or a
  // reader held on past `wait_ms` (what could be copied was).
  enum class Checkpoint { passive, restart };
  enum class CheckpointResult { done, busy, failed };
  CheckpointResult checkpoint(Checkpoint mode, int wait_ms, int& wal_pages,
                              int& checkpointed) noexcept;
  const std::string& path() const noexcept { return path_; }

  // Counters of write statements executed on this connection (for StoreStats).
  std::uint64_t statements_written() const noexcept { return statements_; }
  std::uint64_t rows_written() const noexcept { return rows_; }

 private:
  friend class Query;
  void configure(OpenMode mode, int busy_timeout_ms);
  sqlite3_stmt* cached(const char* sql);  // prepared once per connection

  struct StmtDeleter {
    void operator()(sqlite3_stmt* stmt) const noexcept;
  };
  sqlite3* db_;
  std::string path_;
  std::unordered_map<const char*, std::unique_ptr<sqlite3_stmt, StmtDeleter>> cache_;
  std::function<void(int)> commit_listener_;
  int busy_timeout_ms_ = 0;
  std::uint64_t statements_ = 0;
  std::uint64_t rows_ = 0;
};

}  // namespace chatstream::store::sqlite
