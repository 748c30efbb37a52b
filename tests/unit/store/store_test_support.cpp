#include "store_test_support.hpp"

#include "postgres_test_support.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

namespace chatstream::store::test {
namespace {

namespace fs = std::filesystem;

// SQLite on real files (WAL mode needs a real file) in a private temporary folder.
class SqliteFactory final : public BackendFactory {
 public:
  SqliteFactory() {
    static std::atomic<int> counter{0};
    dir_ = fs::temp_directory_path() / ("chatstream-store-test-" + std::to_string(::getpid()) +
                                        "-" + std::to_string(counter.fetch_add(1)));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  ~SqliteFactory() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  StoreConfig fresh_config() override {
    StoreConfig config;
    config.url = "sqlite:" + (dir_ / ("db" + std::to_string(next_++)) / "chat.db").string();
    return config;
  }

  std::vector<std::pair<StoreConfig, std::string>> broken_configs() override {
    std::vector<std::pair<StoreConfig, std::string>> out;
    const fs::path garbage = dir_ / "garbage.db";
    {
      std::ofstream f(garbage, std::ios::binary);
      for (int i = 0; i < 512; ++i) f << "this is certainly not an SQLite database file\n";
    }
    StoreConfig corrupt;
    corrupt.url = garbage.string();
    out.emplace_back(corrupt, "not a database");

    const fs::path file = dir_ / "plain-file";
    std::ofstream(file) << "x";
    StoreConfig under_file;
    under_file.url = "sqlite:" + (file / "sub" / "chat.db").string();
    out.emplace_back(under_file, "cannot create directory");

    StoreConfig is_dir;
    is_dir.url = dir_.string();
    out.emplace_back(is_dir, dir_.string());

    StoreConfig unsupported;
    unsupported.url = "mysql://localhost/chat";
    out.emplace_back(unsupported, "unsupported");
    return out;
  }

 private:
  fs::path dir_;
  int next_ = 0;
};

}  // namespace

std::unique_ptr<BackendFactory> make_sqlite_factory() {
  return std::make_unique<SqliteFactory>();
}

std::unique_ptr<BackendFactory> make_postgres_factory() {
  return std::make_unique<PostgresFactory>();
}

void StoreSuite::SetUp() {
  backend_ = GetParam().make();
  if (const std::string reason = backend_->skip_reason(); !reason.empty()) {
    GTEST_SKIP() << reason;
  }
  config_ = backend_->fresh_config();
  config_.clock = [now = now_] { return now->load(); };
  // Long enough that a burst of save_progress calls lands in one batch.
  config_.progress_interval = std::chrono::milliseconds(300);
  store_ = open_store(config_);
}

void StoreSuite::TearDown() {
  store_.reset();
  backend_.reset();
}

void StoreSuite::reopen() {
  store_.reset();
  store_ = open_store(config_);
}

Conversation StoreSuite::make_conversation(const std::string& title, std::string user) {
  NewConversation n;
  n.user_id = std::move(user);
  n.title = title;
  n.model = "simulated";
  return sync(store_->create_conversation(n));
}

Message StoreSuite::add(const Conversation& c, Role role, const std::string& content,
                        std::optional<std::string> parent, MessageStatus status) {
  Message m;
  m.role = role;
  m.content = content;
  m.parent_id = std::move(parent);
  m.status = status;
  m.model = "simulated";
  m.provider = "simulated";
  auto stored = sync(store_->insert_messages(c.user_id, c.id, {m}));
  return stored.value().at(0);
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreSuite,
                         ::testing::Values(BackendParam{"sqlite", make_sqlite_factory},
                                           BackendParam{"postgres", make_postgres_factory}),
                         [](const ::testing::TestParamInfo<BackendParam>& info) {
                           return info.param.name;
                         });

}  // namespace chatstream::store::test
