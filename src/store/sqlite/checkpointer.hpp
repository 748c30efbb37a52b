// Runs the WAL checkpoints of a SQLite database on a thread of its own. By default SQLite
// checkpoints inside the commit that pushes the WAL past 1,000 pages: that commit then copies
// the pages into the database file and syncs it, and every write queued behind it (a new
// message, a streaming snapshot) waits milliseconds. With the checkpointer the writer's
// commits only append to the WAL.
//
// Copying back is not enough: SQLite writes a WAL again from its beginning only when a write
// transaction begins after every frame was copied back and no reader still uses one. Under
// writes that never pause, the writer appends frames while a checkpoint copies, so that
// moment never comes: the WAL would grow without end. So:
//   1. on the checkpointer's thread, a PASSIVE checkpoint copies the WAL back while the
//      writer goes on (the bulk of the work, fsyncs included), each time the WAL has grown
//      by `threshold_pages` since the last one (not at every commit past the threshold);
//   2. when the WAL has grown to kRestartFactor times the threshold all the same, the
//      writer, right after the commit that got it there (restart_if_due()), runs a RESTART
//      checkpoint: it waits for a step 1 under way to end, copies the frames appended since,
//      waits briefly for readers to leave the WAL, and the next write transaction starts the
//      WAL again. The writes queued meanwhile wait for it (milliseconds: mostly its two
//      fsyncs), once per kRestartFactor thresholds of sustained writing; the WAL never holds
//      much more than that (a reader that holds on longer than kRestartWaitMs postpones it by
//      one threshold).
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
  // Step 2 runs once the WAL holds this many thresholds (16 MB at the default).
  static constexpr int kRestartFactor = 4;
  // How long step 2 waits for readers to leave the WAL (writes wait meanwhile). Readers'
  // queries last milliseconds; one that takes longer only postpones the restart.
  static constexpr int kRestartWaitMs = 100;

  // Takes over the checkpoints of `writer` (a commit hook asks for step 1 once the WAL
  // holds `threshold_pages` pages) and runs step 1 on its own connection to the same file.
  // Throws StoreFailure when that connection cannot be opened.
  Checkpointer(Connection& writer, int threshold_pages = kDefaultThresholdPages);
  // Removes the hook from the writer (which must still be open) and stops the thread.
  ~Checkpointer();
  Checkpointer(const Checkpointer&) = delete;
  Checkpointer& operator=(const Checkpointer&) = delete;

  // Step 2, on the writer's thread with no transaction open on the writer's connection:
  // runs the RESTART checkpoint when the last commit took the WAL to kRestartFactor
  // thresholds. Cheap otherwise (one lock).
  void restart_if_due() noexcept;

  // Step-1 checkpoints run, restarts done (the WAL starts again at the next write), and
  // checkpoints that failed (tried again later). A restart that gave up waiting for a
  // reader is neither: the next step 1 asks for it again.
  std::uint64_t checkpoints() const noexcept { return checkpoints_.load(); }
  std::uint64_t restarts() const noexcept { return restarts_.load(); }
  std::uint64_t failures() const noexcept { return failures_.load(); }

 private:
  void on_commit(int wal_pages);  // the writer's commit hook
  void run();

  Connection& writer_;
  const int threshold_;
  std::unique_ptr<Connection> conn_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;  // step 1 ended
  bool requested_ = false;
  bool running_ = false;      // step 1 under way
  bool restart_due_ = false;  // step 2 asked for by the last commit
  int next_round_at_;         // WAL pages at which a commit asks for step 1
  int next_restart_at_;       // WAL pages at which a commit asks for step 2
  int last_wal_pages_ = 0;    // as of the last commit (fewer next time: the WAL started again)
  bool stopping_ = false;
  std::atomic<std::uint64_t> checkpoints_{0};
  std::atomic<std::uint64_t> restarts_{0};
  std::atomic<std::uint64_t> failures_{0};
  std::thread thread_;  // last: starts once everything above exists
};

}  // namespace chatstream::store::sqlite
