// WAL checkpoints run on the checkpointer's thread, never inside the writer's commits.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <string>
#include <thread>

#include "store/sqlite/checkpointer.hpp"
#include "store/sqlite/connection.hpp"
#include "support/process.hpp"

namespace chatstream::store::sqlite {
namespace {

namespace fs = std::filesystem;

class SqliteCheckpointer : public ::testing::Test {
 protected:
  void SetUp() override {
    writer_ = Connection::open((dir_.path() / "chat.db").string(), OpenMode::writer, 1000);
    writer_->exec("CREATE TABLE blobs (b BLOB)");
  }
  void TearDown() override { writer_.reset(); }

  // `commits` transactions of ten 4 KB pages each.
  void write(int commits) {
    for (int i = 0; i < commits; ++i) {
      writer_->exec("BEGIN IMMEDIATE");
      for (int j = 0; j < 10; ++j) writer_->exec("INSERT INTO blobs VALUES (randomblob(4000))");
      writer_->exec("COMMIT");
    }
  }

  std::uintmax_t database_bytes() const { return fs::file_size(dir_.path() / "chat.db"); }

  chatstream::testing::TempDir dir_;
  std::unique_ptr<Connection> writer_;
};

TEST_F(SqliteCheckpointer, ACommitListenerTakesOverTheAutomaticCheckpoint) {
  int most = 0;
  int calls = 0;
  writer_->set_commit_listener([&](int pages) {
    ++calls;
    most = std::max(most, pages);
  });
  const auto before = database_bytes();
  write(300);  // ~3,000 pages: SQLite alone would have checkpointed at 1,000
  EXPECT_EQ(calls, 300);
  EXPECT_GE(most, 3000);
  EXPECT_EQ(database_bytes(), before) << "a commit copied pages into the database file";
}

TEST_F(SqliteCheckpointer, CheckpointsRunOnItsThread) {
  {
    Checkpointer checkpointer(*writer_, 100);
    const auto before = database_bytes();
    write(50);  // ~500 pages, 5 times the threshold
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (database_bytes() < before + 400 * 4096 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    EXPECT_GE(database_bytes(), before + 400 * 4096) << "the WAL was not copied back";
    EXPECT_GE(checkpointer.checkpoints(), 1U);
    EXPECT_EQ(checkpointer.failures(), 0U);
  }
  // Gone: its hook with it (a commit now neither checkpoints nor calls into freed memory).
  const auto after = database_bytes();
  write(5);
  EXPECT_EQ(database_bytes(), after);
}

TEST_F(SqliteCheckpointer, BelowTheThresholdNothingRuns) {
  Checkpointer checkpointer(*writer_, 1000);
  write(20);  // ~200 pages
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(checkpointer.checkpoints(), 0U);
}

}  // namespace
}  // namespace chatstream::store::sqlite
