// Runs the WAL checkpoints of a SQLite database on a thread of its own. By default SQLite
// checkpoints inside the commit that pushes the WAL past 1,000 pages: that commit then copies
// the pages into the database file and syncs it, and every write queued behind it (a new
// message, a streaming snapshot) waits milliseconds. With the checkpointer the writer's
// commits only append to the WAL.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "store/sqlite/connection.hpp"

namespace chatstream::store::sqlite {

class Checkpointer {
 public:
  // SQLite's own threshold for its automatic checkpoint.
  static constexpr int kDefaultThresholdPages = 1000;

  // Takes over the checkpoints of `writer` (a commit hook asks for one once the WAL holds
  // `threshold_pages` pages) and runs them on its own connection to the same file.
  // Throws StoreFailure when that connection cannot be opened.
  Checkpointer(Connection& writer, int threshold_pages = kDefaultThresholdPages);
  // Removes the hook from the writer (which must still be open) and stops the thread.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Checkpoints run so far, and those that failed (the next request tries again).
  std::uint64_t checkpoints() const noexcept { return checkpoints_.load(); }
  std::uint64_t failures() const noexcept { return failures_.load(); }

 private:
  void request();
  void run();

  Connection& writer_;
  const int threshold_;
  std::unique_ptr<Connection> conn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool requested_ = false;
  bool stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace chatstream::store::sqlite
