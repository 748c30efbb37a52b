#include "store/postgres/postgres_store.hpp"

#include "store/common/store_shell.hpp"
#include "store/postgres/accounts_repository.hpp"
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

  static constexpr auto& insert_user = repo::insert_user;
  static constexpr auto& find_user = repo::find_user;
  static constexpr auto& find_user_by_name = repo::find_user_by_name;
  static constexpr auto& list_users = repo::list_users;
  static constexpr auto& count_users = repo::count_users;
  static constexpr auto& update_user = repo::update_user;
  static constexpr auto& insert_session = repo::insert_session;
  static constexpr auto& find_session = repo::find_session;
  static constexpr auto& delete_session = repo::delete_session;
  static constexpr auto& delete_user_sessions = repo::delete_user_sessions;
  static constexpr auto& delete_expired_sessions = repo::delete_expired_sessions;
  static constexpr auto& insert_api_token = repo::insert_api_token;
  static constexpr auto& list_api_tokens = repo::list_api_tokens;
  static constexpr auto& find_api_token = repo::find_api_token;
  static constexpr auto& delete_api_token = repo::delete_api_token;
  static constexpr auto& add_usage = repo::add_usage;
  static constexpr auto& find_usage = repo::find_usage;
  static constexpr auto& list_usage = repo::list_usage;
};

}  // namespace

std::unique_ptr<Store> open_postgres_store(const std::string& url, const StoreConfig& config) {
  return std::make_unique<common::StoreShell<PostgresBackend>>(url, config);
}

}  // namespace chatstream::store::postgres
