#include "store/postgres/writer.hpp"

#include "store/postgres/accounts_repository.hpp"
#include "store/postgres/repository.hpp"

namespace chatstream::store::postgres {
namespace {

class PostgresWriterBackend final : public common::WriterBackend {
 public:
  explicit PostgresWriterBackend(std::unique_ptr<Connection> conn) : conn_(std::move(conn)) {}

  void begin() override {
    conn_->ensure_open();
    try {
      conn_->exec("BEGIN");
    } catch (const ConnectionLost&) {
      // The session died while idle (e.g. a server restart): nothing was sent yet, so
      // reconnecting and beginning again is safe.
      conn_->ensure_open();
      conn_->exec("BEGIN");
    }
  }
  void savepoint() override { conn_->exec("SAVEPOINT op"); }
  void release_savepoint() override { conn_->exec("RELEASE SAVEPOINT op"); }
  void rollback_to_savepoint() override {
    conn_->exec("ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op");
  }
  void commit() override {
    // COMMIT of a failed transaction "succeeds" as a rollback: refuse it instead.
    if (conn_->transaction_failed()) throw StoreFailure("store: PostgreSQL transaction aborted");
    conn_->exec("COMMIT");
  }
  // The server rolls back the transaction of a lost connection; nothing more to undo.
  void rollback() override {
    if (!conn_->broken()) conn_->exec("ROLLBACK");
  }
  void write_progress(const std::string& message_id, const std::string& content,
                      std::int64_t delta_seq, std::int64_t now) override {
    repo::write_progress(*conn_, message_id, content, delta_seq, now);
  }
  void write_touch(common::TouchKind kind, const std::string& id, std::int64_t at_ms) override {
    switch (kind) {
      case common::TouchKind::session_last_seen:
        repo::touch_session(*conn_, id, at_ms);
        return;
      case common::TouchKind::api_token_last_used:
        repo::touch_api_token(*conn_, id, at_ms);
        return;
    }
  }
  std::uint64_t statements_written() const override { return conn_->statements_written(); }
  std::uint64_t rows_written() const override { return conn_->rows_written(); }

 private:
  std::unique_ptr<Connection> conn_;
};

}  // namespace

std::unique_ptr<common::WriterBackend> make_writer_backend(std::unique_ptr<Connection> conn) {
  return std::make_unique<PostgresWriterBackend>(std::move(conn));
}

}  // namespace chatstream::store::postgres
