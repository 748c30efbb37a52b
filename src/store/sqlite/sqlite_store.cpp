#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

#include "store/common/store_shell.hpp"
#include "store/migrations.hpp"
#include "store/sqlite/accounts_repository.hpp"
#include "store/sqlite/repository.hpp"
#include "store/sqlite/writer.hpp"

namespace chatstream::store::sqlite {
namespace {

// What the shared store shell needs from SQLite: connections, the migrations and the SQL.
struct SqliteBackend {
  using Connection = sqlite::Connection;

  static std::unique_ptr<Connection> open_writer(const std::string& path, const StoreConfig& config,
                                                 std::int64_t now) {
    auto conn = Connection::open(path, OpenMode::writer, busy_ms(config));
    repo::migrate(*conn, sqlite_migrations(), now);
    return conn;
  }
  static std::unique_ptr<Connection> open_reader(const std::string& path,
                                                 const StoreConfig& config) {
    return Connection::open(path, OpenMode::reader, busy_ms(config));
  }
  static std::unique_ptr<common::WriterBackend> writer_backend(std::unique_ptr<Connection> conn) {
    return make_writer_backend(std::move(conn));
  }
  template <class F>
  static auto run_read(Connection& conn, F& f) {
    return f(conn);
  }
  static int busy_ms(const StoreConfig& config) {
    return static_cast<int>(config.busy_timeout.count());
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

std::unique_ptr<Store> open_sqlite_store(const std::string& path, const StoreConfig& config) {
  std::error_code ec;
  const auto parent = std::filesystem::path(path).parent_path();
  if (!parent.empty() && !std::filesystem::exists(parent, ec)) {
    std::filesystem::create_directories(parent, ec);
    if (ec) {
      throw StoreFailure("store: cannot create directory '" + parent.string() +
                         "' for the SQLite database: " + ec.message());
    }
  }
  return std::make_unique<common::StoreShell<SqliteBackend>>(path, config);
}

}  // namespace chatstream::store::sqlite
