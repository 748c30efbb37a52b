// A thin RAII layer over one libpq connection (synchronous API): open with the project's
// session settings, run SQL, prepared statements (PQprepare once per connection, then
// PQexecPrepared with text parameters), and reconnection. A Connection is used by one
// thread at a time.
//
// Reconnection is explicit: a statement on a broken connection throws ConnectionLost and
// never reconnects by itself (a transaction must not silently continue on a new session).
// Callers call ensure_open() at safe points (before BEGIN, before a read), which reconnects
// when the connection broke and forgets the prepared statements of the old session.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

struct pg_conn;
struct pg_result;

namespace chatstream::store::postgres {

// The connection broke (server restart, network loss, admin shutdown).
class ConnectionLost : public StoreFailure {
 public:
  using StoreFailure::StoreFailure;
};

// `url` with any password replaced by "***", for messages and logs.
std::string redact_url(std::string_view url);

class Connection;

// The rows of a query result. Columns are 0-based; every value arrives as text.
class Rows {
 public:
  struct Deleter {
    void operator()(pg_result* result) const noexcept;
  };
  explicit Rows(std::unique_ptr<pg_result, Deleter> result) noexcept;

  int size() const noexcept { return rows_; }
  bool empty() const noexcept { return rows_ == 0; }
  std::string text(int row, int column) const;
  std::optional<std::string> optional_text(int row, int column) const;
  std::int64_t integer(int row, int column) const;
  std::optional<std::int64_t> optional_integer(int row, int column) const;
  // Rows inserted, updated or deleted by the statement.
  std::int64_t affected() const noexcept;

 private:
  std::unique_ptr<pg_result, Deleter> result_;
  int rows_ = 0;
};

// One execution of a prepared statement. Parameters are bound in order ($1, $2, ...).
class Query {
 public:
  Query(Connection& conn, const char* sql) noexcept : conn_(&conn), sql_(sql) {}

  // Text is sent as valid UTF-8 (ill-formed bytes and U+0000 become U+FFFD).
  Query& bind(std::string_view text);
  Query& bind(const char* text) { return bind(std::string_view(text)); }
  Query& bind(const std::string& text) { return bind(std::string_view(text)); }
  Query& bind(std::int64_t value);
  Query& bind(const std::optional<std::string>& text);
  Query& bind(const std::optional<std::int64_t>& value);
  Query& bind_null();

  // Runs a query that returns rows. Throws StoreFailure (ConnectionLost when it broke).
  Rows rows();
  // Runs a write statement; returns the number of rows changed (counted in the stats).
  std::int64_t run();

 private:
  Connection* conn_;
  const char* sql_;
  std::vector<std::optional<std::string>> params_;
};

class Connection {
 public:
  // Connects to `url` (a postgres:// or postgresql:// URI; its parameters win over the
  // defaults set here). Throws StoreFailure with a message that never contains a password.
  static std::unique_ptr<Connection> open(const std::string& url,
                                          std::chrono::milliseconds connect_timeout);

  struct Key {
    explicit Key() = default;
  };
  // Use open(); public only so that make_unique can call it.
  Connection(Key, pg_conn* conn, std::string redacted_url) noexcept;
  ~Connection();
  Connection(const Connection&) = delete;
  Connection& operator=(const Connection&) = delete;

  // Runs one or more statements without parameters or results (DDL, BEGIN/COMMIT).
  void exec(std::string_view sql);
  // Starts a prepared statement: prepared on first use on this session, keyed by the
  // pointer, so pass string constants with static storage.
  Query query(const char* sql) { return Query(*this, sql); }

  // Reconnects when the connection broke. Throws StoreFailure when the server is still
  // unreachable.
  void ensure_open();
  bool broken() const noexcept;
  // True inside a transaction that an error aborted (only a rollback can end it).
  bool transaction_failed() const noexcept;

  // Throws StoreFailure (ConnectionLost if the connection broke) with `what` and the
  // server's message.
  [[noreturn]] void fail(std::string_view what, std::string_view detail) const;

  // Counters of write statements executed on this connection (for StoreStats).
  std::uint64_t statements_written() const noexcept { return statements_; }
  std::uint64_t rows_written() const noexcept { return rows_; }

 private:
  friend class Query;
  void configure();
  Rows execute(const char* sql, std::span<const std::optional<std::string>> params);
  const std::string& prepared_name(const char* sql);

  pg_conn* conn_;
  std::string url_;  // redacted: for messages only
  std::unordered_map<const char*, std::string> prepared_;
  std::uint64_t next_statement_ = 0;
  std::uint64_t statements_ = 0;
  std::uint64_t rows_ = 0;
};

}  // namespace chatstream::store::postgres
