// PostgreSQL-specific behaviour: URLs and messages, concurrent migrations, reconnection.
// Needs CHATSTREAM_TEST_POSTGRES_URL (scripts/services.sh); skips without it.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <barrier>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <thread>

#include "postgres_test_support.hpp"
#include "store/accounts.hpp"
#include "store/postgres/connection.hpp"
#include "store/postgres/migrations.hpp"
#include "util/id.hpp"

namespace chatstream::store::test {
namespace {

using postgres::redact_url;

TEST(PostgresUrl, PasswordsAreRedacted) {
  EXPECT_EQ(redact_url("postgres://user:pw@host:5432/db"), "postgres://user:***@host:5432/db");
  EXPECT_EQ(redact_url("postgresql://user:p%40ss@host/db?sslmode=disable"),
            "postgresql://user:***@host/db?sslmode=disable");
  EXPECT_EQ(redact_url("postgres://user@host/db"), "postgres://user@host/db");
  EXPECT_EQ(redact_url("postgres://host/db"), "postgres://host/db");
  EXPECT_EQ(redact_url("postgres://u@h/db?sslmode=require&password=x&user=u"),
            "postgres://u@h/db?sslmode=require&password=***&user=u");
  EXPECT_EQ(redact_url("postgres://u:a:b@h/db?password=y"), "postgres://u:***@h/db?password=***");
}

TEST(PostgresMigrations, AreEmbeddedInOrder) {
  const auto migrations = postgres_migrations();
  ASSERT_FALSE(migrations.empty());
  EXPECT_EQ(migrations[0].version, 1);
  EXPECT_EQ(migrations[0].name, "0001_init");
  EXPECT_NE(migrations[0].sql.find("CREATE TABLE messages"), std::string_view::npos);
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    EXPECT_LT(migrations[i - 1].version, migrations[i].version);
  }
}

TEST(PostgresUrl, ConnectionRefusedIsAClearFailureWithoutThePassword) {
  StoreConfig config;
  config.url = "postgresql://alice:very-secret-pw@127.0.0.1:1/chat?password=other-secret";
  try {
    open_store(config);
    ADD_FAILURE() << "opened a store on a closed port";
  } catch (const StoreFailure& e) {
    const std::string message = e.what();
    EXPECT_NE(message.find("cannot connect to PostgreSQL"), std::string::npos) << message;
    EXPECT_NE(message.find("127.0.0.1"), std::string::npos) << message;
    EXPECT_EQ(message.find("very-secret-pw"), std::string::npos) << message;
    EXPECT_EQ(message.find("other-secret"), std::string::npos) << message;
  }
}

Conversation create_titled(Store& store, const std::string& title) {
  NewConversation n;
  n.title = title;
  return sync(store.create_conversation(n));
}

class PostgresStore : public ::testing::Test {
 protected:
  void SetUp() override {
    factory_ = std::make_unique<PostgresFactory>();
    if (const std::string reason = factory_->skip_reason(); !reason.empty()) {
      GTEST_SKIP() << reason;
    }
  }
  void TearDown() override { factory_.reset(); }

  std::string count(const std::string& schema, const std::string& table) {
    return factory_->admin().scalar("SELECT COUNT(*) FROM " + schema + "." + table).value_or("");
  }

  std::unique_ptr<PostgresFactory> factory_;
};

TEST_F(PostgresStore, StoresOpeningTheSameEmptyDatabaseTogetherAllSucceed) {
  for (int round = 0; round < 3; ++round) {
    const StoreConfig config = factory_->fresh_config();
    constexpr int instances = 4;
    std::barrier start(instances);
    std::vector<std::unique_ptr<Store>> stores(instances);
    std::vector<std::string> errors(instances);
    std::vector<std::thread> threads;
    for (int i = 0; i < instances; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          stores[i] = open_store(config);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    for (int i = 0; i < instances; ++i) {
      EXPECT_EQ(errors[i], "") << "instance " << i;
      ASSERT_NE(stores[i], nullptr);
    }
    const std::string schema = factory_->last_schema();
    EXPECT_EQ(count(schema, "schema_migrations"), std::to_string(postgres_migrations().size()));
    // One instance's write is visible to the others.
    NewConversation n;
    n.title = "shared";
    const Conversation c = sync(stores[0]->create_conversation(n));
    for (const auto& store : stores) {
      const auto got = sync(store->get_conversation("local", c.id));
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->title, "shared");
    }
  }
}

TEST_F(PostgresStore, SchemaUsesBigintTimesAndCascades) {
  const StoreConfig config = factory_->fresh_config();
  const std::string schema = factory_->last_schema();
  {
    auto store = open_store(config);
    const auto c = sync(store->create_conversation({}));
    Message m;
    m.content = "x";
    const auto stored = sync(store->insert_messages("local", c.id, {m})).value();
    Message child;
    child.parent_id = stored[0].id;
    sync(store->insert_messages("local", c.id, {child})).value();
    EXPECT_EQ(count(schema, "messages"), "2");
    sync(store->delete_conversation("local", c.id));
  }
  EXPECT_EQ(count(schema, "messages"), "0");
  EXPECT_EQ(factory_->admin().scalar("SELECT data_type FROM information_schema.columns WHERE "
                                     "table_schema = '" +
                                     schema +
                                     "' AND table_name = 'messages' AND column_name = "
                                     "'created_at'"),
            "bigint");
}

// Every session of the store is killed by the server between operations (as by a restart
// or an idle-connection reaper): the next reads and writes reconnect transparently.
TEST_F(PostgresStore, SessionsKilledBetweenOperationsAreReopened) {
  StoreConfig config = factory_->fresh_config();
  config.read_connections = 2;
  const std::string schema = factory_->last_schema();
  auto store = open_store(config);
  NewConversation n;
  n.title = "before";
  const Conversation c = sync(store->create_conversation(n));
  std::string title = "before";
  for (int round = 0; round < 3; ++round) {
    const auto killed = factory_->admin().scalar(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = '" +
        schema + "'");
    // First the writer and both readers; later the writer and the readers used since (the
    // pool hands the same free connection to sequential reads).
    if (round == 0) {
      EXPECT_EQ(killed, "3");
    } else {
      EXPECT_TRUE(killed == "2" || killed == "3") << killed.value_or("NULL");
    }
    // Give the server a moment to close them (bounded).
    for (int i = 0; i < 100; ++i) {
      if (factory_->admin().scalar(
              "SELECT COUNT(*) FROM pg_stat_activity WHERE application_name = '" + schema + "'") ==
          "0") {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    for (int i = 0; i < 4; ++i) {  // more reads than readers: each connection reconnects
      const auto got = sync(store->get_conversation("local", c.id));
      ASSERT_TRUE(got.has_value());
      EXPECT_EQ(got->title, title);
    }
    ConversationPatch patch;
    title = "after " + std::to_string(round);
    patch.title = title;
    EXPECT_EQ(sync(store->update_conversation("local", c.id, patch)).value().title, title);
    EXPECT_TRUE(sync(store->ping()));
  }
  EXPECT_EQ(store->stats().write_failures, 0U);
}

// The writer's session dies inside a batch transaction (here: while its INSERT waits for a
// table lock, the server terminates it): that write fails, nothing of it is kept, and the
// next write reconnects.
TEST_F(PostgresStore, ABatchWhoseConnectionBreaksFailsAndTheNextReconnects) {
  StoreConfig config = factory_->fresh_config();
  const std::string schema = factory_->last_schema();
  auto store = open_store(config);
  create_titled(*store, "kept");

  PgAdmin locker(test_postgres_url());
  locker.exec("BEGIN");
  locker.exec("LOCK TABLE " + schema + ".conversations IN ACCESS EXCLUSIVE MODE");
  std::string error;
  std::thread writer([&] {
    try {
      create_titled(*store, "lost");
    } catch (const StoreFailure& e) {
      error = e.what();
    }
  });
  const std::string waiting = "SELECT pid FROM pg_stat_activity WHERE application_name = '" +
                              schema + "' AND wait_event_type = 'Lock'";
  std::optional<std::string> pid;
  for (int i = 0; i < 500 && !pid; ++i) {
    pid = factory_->admin().scalar(waiting);
    if (!pid) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(pid.has_value()) << "the write never waited for the lock";
  factory_->admin().exec("SELECT pg_terminate_backend(" + *pid + ")");
  writer.join();
  locker.exec("ROLLBACK");

  EXPECT_NE(error, "") << "the write in the broken transaction did not fail";
  EXPECT_GE(store->stats().write_failures, 1U);
  const Conversation next = create_titled(*store, "next");
  std::set<std::string> titles;
  for (const auto& c : sync(store->list_conversations({})).conversations) titles.insert(c.title);
  EXPECT_EQ(titles, (std::set<std::string>{"kept", "next"}));
  EXPECT_EQ(sync(store->get_conversation("local", next.id))->title, "next");
}

// A private PostgreSQL cluster started with scripts/services.sh (as the test script does),
// so that one test can stop and restart a server without disturbing the others.
class PrivateCluster {
 public:
  PrivateCluster() : port_(free_port()) {
    static int counter = 0;
    dir_ = std::filesystem::path("/tmp") / ("chatstream-pg-restart-" + std::to_string(::getpid()) +
                                            "-" + std::to_string(counter++));
    std::filesystem::remove_all(dir_);
  }
  ~PrivateCluster() {
    stop();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  PrivateCluster(const PrivateCluster&) = delete;
  PrivateCluster& operator=(const PrivateCluster&) = delete;

  static bool server_installed() { return helper("_pg_bindir >/dev/null 2>&1") == 0; }
  bool start() {
    return helper("start_postgres '" + dir_.string() + "' " + std::to_string(port_)) == 0;
  }
  bool stop() { return helper("stop_postgres '" + dir_.string() + "'") == 0; }
  std::string url() const {
    return "postgres://postgres@127.0.0.1:" + std::to_string(port_) + "/postgres";
  }

 private:
  // Runs a function of scripts/services.sh in bash; its output goes to the test log.
  static int helper(const std::string& call) {
    const std::string script = std::string(CHATSTREAM_SOURCE_DIR) + "/scripts/services.sh";
    const std::string command = "bash -c 'source \"$0\" && " + call + "' '" + script + "' 1>&2";
    return std::system(command.c_str());
  }

  static int free_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof addr;
    int port = 0;
    if (fd >= 0 && ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
        ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size) == 0) {
      port = ntohs(addr.sin_port);
    }
    if (fd >= 0) ::close(fd);
    return port;
  }

  std::filesystem::path dir_;
  int port_;
};

TEST(PostgresServer, PingFailsWhileTheServerIsDownAndARestartIsSurvived) {
  if (test_postgres_url().empty()) {
    GTEST_SKIP() << postgres_url_variable << " is not set: PostgreSQL tests skipped";
  }
  if (!PrivateCluster::server_installed()) {
    GTEST_SKIP() << "no PostgreSQL server binaries (initdb, pg_ctl) on this machine";
  }
  PrivateCluster cluster;
  ASSERT_TRUE(cluster.start());
  StoreConfig config;
  config.url = cluster.url();
  config.read_connections = 2;
  auto store = open_store(config);
  const Conversation first = create_titled(*store, "first");
  EXPECT_TRUE(sync(store->ping()));

  // Down: ping says so, operations fail with StoreFailure instead of hanging.
  ASSERT_TRUE(cluster.stop());
  EXPECT_FALSE(sync(store->ping()));
  EXPECT_THROW(sync(store->get_conversation("local", first.id)), StoreFailure);
  EXPECT_THROW(create_titled(*store, "while down"), StoreFailure);
  EXPECT_FALSE(sync(store->ping()));

  // Up again: the same store reconnects.
  ASSERT_TRUE(cluster.start());
  EXPECT_TRUE(sync(store->ping()));
  EXPECT_EQ(sync(store->get_conversation("local", first.id))->title, "first");
  const Conversation second = create_titled(*store, "second");

  // A restart between two operations, with nothing in between noticing it: the next write
  // and reads succeed on new sessions.
  ASSERT_TRUE(cluster.stop());
  ASSERT_TRUE(cluster.start());
  const Conversation third = create_titled(*store, "third");
  for (int i = 0; i < 3; ++i) {
    const auto page = sync(store->list_conversations({}));
    ASSERT_EQ(page.conversations.size(), 3U);
    EXPECT_EQ(page.conversations[0].id, third.id);
  }
  EXPECT_EQ(sync(store->get_conversation("local", second.id))->title, "second");
  EXPECT_TRUE(sync(store->ping()));
  store.reset();  // before the cluster stops
}

// A schema made by the version before accounts existed (migration 1 only) is upgraded in
// place: its conversations stay, and accounts work.
TEST_F(PostgresStore, UpgradesAHistoryOnlySchemaKeepingItsData) {
  const StoreConfig config = factory_->fresh_config();
  const std::string schema = factory_->last_schema();
  const auto migrations = postgres_migrations();
  ASSERT_GE(migrations.size(), 2U);
  ASSERT_EQ(migrations[1].name, "0002_accounts");
  factory_->admin().exec("SET search_path TO " + schema +
                         "; CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, "
                         "name TEXT NOT NULL, applied_at BIGINT NOT NULL); " +
                         std::string(migrations[0].sql) +
                         "; INSERT INTO schema_migrations VALUES (1, '0001_init', 0);"
                         " INSERT INTO conversations (id, user_id, title, created_at, updated_at)"
                         " VALUES ('" +
                         util::new_id() + "', 'local', 'kept', 1, 1); RESET search_path");
  EXPECT_EQ(count(schema, "conversations"), "1");
  {
    auto store = open_store(config);
    const auto page = sync(store->list_conversations({}));
    ASSERT_EQ(page.conversations.size(), 1U);
    EXPECT_EQ(page.conversations[0].title, "kept");
    const auto user = sync(store->accounts().create_user({"someone", UserRole::admin, "h"}));
    ASSERT_TRUE(user.has_value());
    sync(store->accounts().add_usage(user->id, "2026-01-01", 3, 1));
  }
  EXPECT_EQ(count(schema, "schema_migrations"), std::to_string(migrations.size()));
  EXPECT_EQ(count(schema, "users"), "1");
  EXPECT_EQ(count(schema, "usage_daily"), "1");
}

}  // namespace
}  // namespace chatstream::store::test
