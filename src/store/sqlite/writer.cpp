#include "store/sqlite/writer.hpp"

#include "store/sqlite/accounts_repository.hpp"
#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/repository.hpp"

namespace chatstream::store::sqlite {
namespace {

class SqliteWriterBackend final : public common::WriterBackend {
 public:
  explicit SqliteWriterBackend(std::unique_ptr<Connection> conn)
      : conn_(std::move(conn)), checkpointer_(std::make_unique<Checkpointer>(*conn_)) {}

  // Transaction control runs cached prepared statements: sqlite3_exec would parse the
  // text again for every transaction and every operation's savepoint.
  void begin() override { conn_->control("BEGIN IMMEDIATE"); }
  void savepoint() override { conn_->control("SAVEPOINT op"); }
  void release_savepoint() override { conn_->control("RELEASE op"); }
  void rollback_to_savepoint() override { conn_->exec("ROLLBACK TO op; RELEASE op"); }  // rare
  void commit() override { conn_->control("COMMIT"); }
  void after_commit() noexcept override { checkpointer_->restart_if_due(); }
  // Throws when SQLite already rolled back (e.g. after an I/O error); the writer ignores it.
  void rollback() override { conn_->exec("ROLLBACK"); }
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
  std::unique_ptr<Checkpointer> checkpointer_;  // destroyed first: it unhooks from conn_
};

}  // namespace

std::unique_ptr<common::WriterBackend> make_writer_backend(std::unique_ptr<Connection> conn) {
  return std::make_unique<SqliteWriterBackend>(std::move(conn));
}

}  // namespace chatstream::store::sqlite
