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

  // `commits` transactions of ten 4 KB pages each; between two of them, the writer's side
  // of a checkpoint round when there is one.
  void write(int commits, Checkpointer* checkpointer = nullptr) {
    for (int i = 0; i < commits; ++i) {
      writer_->exec("BEGIN IMMEDIATE");
      for (int j = 0; j < 10; ++j) writer_->exec("INSERT INTO blobs VALUES (randomblob(4000))");
      writer_->exec("COMMIT");
      if (checkpointer != nullptr) checkpointer->restart_if_due();
    }
  }

  std::uintmax_t database_bytes() const { return fs::file_size(dir_.path() / "chat.db"); }
  std::uintmax_t wal_bytes() const { return fs::file_size(dir_.path() / "chat.db-wal"); }

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
    write(50, &checkpointer);  // ~500 pages, 5 times the threshold
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (database_bytes() < before + 400 * 4096 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      checkpointer.restart_if_due();  // the writer's side, as between its transactions
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

// Writes that never pause (a busy server) still get their WAL restarted: a checkpoint that
// only copies what it can without stopping the writer chases the frames appended meanwhile,
// and the WAL grew without end while every commit past the threshold asked for one more.
TEST_F(SqliteCheckpointer, TheWalStaysBoundedUnderWritesThatNeverPause) {
  writer_->exec("CREATE TABLE rows (v TEXT)");
  std::uint64_t checkpoints = 0;
  {
    Checkpointer checkpointer(*writer_, 100);
    for (int i = 0; i < 4000; ++i) {  // ~2 pages each: ~8,000 pages in all, 80 thresholds
      writer_->exec("BEGIN IMMEDIATE");
      writer_->exec("INSERT INTO rows VALUES (hex(randomblob(100)))");
      writer_->exec("COMMIT");
      checkpointer.restart_if_due();  // what the store's writer does between transactions
    }
    checkpoints = checkpointer.checkpoints();
    EXPECT_GE(checkpointer.restarts(), 1U);
    EXPECT_EQ(checkpointer.failures(), 0U);
  }
  // Bounded: four thresholds plus what is appended while a checkpoint runs, far below the
  // ~32 MB of a WAL that is never restarted.
  EXPECT_LT(wal_bytes(), 4U * 1024 * 1024) << checkpoints << " checkpoints";
  // At most one per threshold's worth of pages written (~80), not one per commit (4,000).
  EXPECT_GE(checkpoints, 1U);
  EXPECT_LE(checkpoints, 160U);
}

TEST_F(SqliteCheckpointer, BelowTheThresholdNothingRuns) {
  Checkpointer checkpointer(*writer_, 1000);
  write(20);  // ~200 pages
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_EQ(checkpointer.checkpoints(), 0U);
}

}  // namespace
}  // namespace chatstream::store::sqlite
