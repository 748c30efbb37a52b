#include "store/postgres/postgres_store.hpp"

#include "store/common/store_shell.hpp"
#include "store/postgres/migrations.hpp"
#include "store/postgres/repository.hpp"
#include "store/postgres/writer.hpp"

namespace chatstream::store::postgres {
namespace {

// What the shared store shell needs from PostgreSQL: connections (re-opened when they
// broke), the migrations and the SQL.
struct PostgresBackend {
  using Connection = postgres::Connection;

  static std::unique_ptr<Connection> open_writer(const std::string& url, const StoreConfig& config,
                                                 std::int64_t now) {
    auto conn = Connection::open(url, config.busy_timeout);
    repo::migrate(*conn, postgres_migrations(), now);
    return conn;
  }
  static std::unique_ptr<Connection> open_reader(const std::string& url,
                                                 const StoreConfig& config) {
    return Connection::open(url, config.busy_timeout);
  }
  static std::unique_ptr<common::WriterBackend> writer_backend(std::unique_ptr<Connection> conn) {
    return make_writer_backend(std::move(conn));
  }
  // Runs f on a connection, reconnecting first when it broke. A read that fails because
  // the connection broke under it runs once more on a new connection (reads are safe to
  // repeat).
  template <class F>
  static auto run_read(Connection& conn, F& f) {
    conn.ensure_open();
    try {
      return f(conn);
    } catch (const ConnectionLost&) {
      conn.ensure_open();
    }
    return f(conn);
  }

  static constexpr auto& find_conversation = repo::find_conversation;
  static constexpr auto& list_conversations = repo::list_conversations;
  static constexpr auto& list_messages = repo::list_messages;
  static constexpr auto& find_message = repo::find_message;
  static constexpr auto& branch = repo::branch;
  static constexpr auto& ping = repo::ping;
  static constexpr auto& insert_conversation = repo::insert_conversation;
  static constexpr auto& update_conversation = repo::update_conversation;
  static constexpr auto& delete_conversation = repo::delete_conversation;
  static constexpr auto& insert_messages = repo::insert_messages;
  static constexpr auto& finish_message = repo::finish_message;
  static constexpr auto& mark_interrupted = repo::mark_interrupted;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreConfig& config) {
  return std::make_unique<common::StoreShell<PostgresBackend>>(url, config);
}

}  // namespace chatstream::store::postgres
