#include "store/sqlite/sqlite_store.hpp"

#include <filesystem>

#include "store/common/store_shell.hpp"
#include "store/migrations.hpp"
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
