// The single writer of a store, shared by the backends: one thread owning the write
// connection (behind a WriterBackend).
//
// Operations are posted to the writer thread's io_context. The first operation opens a
// transaction and posts a commit step behind everything already queued, so every
// operation queued meanwhile joins the same transaction (bounded by max_batch). Each
// operation runs inside a savepoint: one failing operation is rolled back alone and reports
// its own exception, the others still commit. Completions run after COMMIT, so a
// completed write is durable and visible to readers.
//
// save_progress() snapshots live in a map (a newer snapshot of a message replaces the
// queued one) and are written by a timer every `progress_interval`, in id order (rows of
// live messages lie close together), in chunks of `progress_chunk` snapshots: one
// transaction while no operation is queued; when one is, the transaction commits after the
// current chunk and the operation runs before the next chunk. An awaited write thus never
// waits for more than one chunk of snapshots, and its batch commits without writing the
// queued snapshots (write_all_progress() inside an operation does, e.g. for a flush).
// touch() timestamps (sessions, API tokens) are queued the same way: the newest time per
// (kind, id) wins and they are written with the progress snapshots.
// Thread safety: submit(), save_progress()/drop_progress(), touch() and stats() may be
// called from any thread.
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "store/store.hpp"

namespace chatstream::store::common {

// What a fire-and-forget touch() moves forward.
enum class TouchKind { session_last_seen, api_token_last_used };

// What a backend does on its write connection; every call runs on the writer thread.
// Failures are thrown (StoreFailure or the backend's own exceptions).
class WriterBackend {
 public:
  virtual ~WriterBackend() = default;
  // Opens the batch transaction (reconnecting first if the backend can).
  virtual void begin() = 0;
  virtual void savepoint() = 0;
  virtual void release_savepoint() = 0;
  virtual void rollback_to_savepoint() = 0;  // and releases it
  virtual void commit() = 0;
  // After a failed commit; may throw (the writer ignores it).
  virtual void rollback() = 0;
  virtual void write_progress(const std::string& message_id, const std::string& content,
                              std::int64_t delta_seq, std::int64_t now) = 0;
  // Moves the timestamp forward (never back); an unknown id changes nothing.
  virtual void write_touch(TouchKind kind, const std::string& id, std::int64_t at_ms) = 0;
  // After a commit (or a rolled-back batch) and its completions, with no transaction open:
  // upkeep that needs the writer's connection between transactions (SQLite: restarting the
  // WAL). Must not throw.
  virtual void after_commit() noexcept {}
  virtual std::uint64_t statements_written() const = 0;
  virtual std::uint64_t rows_written() const = 0;
};

struct WriterOptions {
  std::chrono::milliseconds progress_interval{100};
  std::size_t max_batch = 256;
  std::function<std::int64_t()> clock;  // epoch ms; never empty
  std::size_t progress_chunk = 128;     // snapshots an operation may wait for at most
};

class BatchWriter {
 public:
  // Runs inside the batch transaction on the writer thread.
  using Work = std::function<void()>;
  // Runs on the writer thread after the batch committed (nullptr) or failed (the error).
  using Done = std::function<void(std::exception_ptr)>;

  BatchWriter(std::unique_ptr<WriterBackend> backend, WriterOptions options);
  // Commits everything still queued, then stops the thread.
  ~BatchWriter();
  BatchWriter(const BatchWriter&) = delete;
  BatchWriter& operator=(const BatchWriter&) = delete;

  void submit(Work work, Done done);
  void save_progress(std::string message_id, std::string content, std::int64_t delta_seq);
  // Drops the queued snapshot of a message (its final state is being written).
  void drop_progress(const std::string& message_id);
  // Fire-and-forget: queues a timestamp update (a newer one of the same id replaces it).
  void touch(TouchKind kind, std::string id, std::int64_t at_ms);
  // Writer thread only, inside the batch transaction: writes the queued touches now (for an
  // operation that must see them, e.g. expiring idle sessions).
  void write_queued_touches();
  // Writer thread only, inside the batch transaction: writes every queued snapshot (those a
  // timer round is writing first, then the newer ones) and touch, e.g. for flush().
  void write_all_progress();
  StoreStats stats() const;

 private:
  struct Progress {
    std::string content;
    std::int64_t delta_seq = 0;
  };
  struct Finished {
    Done done;
    std::exception_ptr error;
  };

  // A snapshot taken out of the map by a timer round, waiting for its chunk.
  struct Snapshot {
    std::string message_id;
    Progress progress;
  };

  void run_op(const Work& work, Done done);
  void commit_everything();
  void begin_if_needed();
  void commit_batch();
  void take_queued_progress();  // moves the map into round_, sorted by id
  void write_progress_chunk();  // the next chunks of round_ (see the top of this file)
  void write_snapshot(const Snapshot& s, std::int64_t now);
  bool anything_queued() const;  // progress or touches; takes progress_mutex_
  void arm_timer_locked();       // progress_mutex_ held
  void arm_progress_timer();
  void on_progress_timer();
  void publish_counters();

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  boost::asio::steady_timer progress_timer_;
  std::unique_ptr<WriterBackend> backend_;
  WriterOptions options_;

  mutable std::mutex progress_mutex_;
  std::unordered_map<std::string, Progress> progress_;  // guarded by progress_mutex_
  // Newest touch per id, one map per TouchKind; guarded by progress_mutex_.
  std::array<std::unordered_map<std::string, std::int64_t>, 2> touches_;
  bool progress_timer_armed_ = false;  // guarded by progress_mutex_

  // Writer thread only.
  std::vector<Snapshot> round_;  // the timer round being written, sorted by id
  std::size_t round_next_ = 0;   // first snapshot of round_ not yet written
  bool in_transaction_ = false;
  bool commit_posted_ = false;
  std::size_t ops_in_batch_ = 0;
  std::vector<Finished> finished_;

  std::atomic<std::uint64_t> queued_ops_{0};
  std::atomic<std::uint64_t> round_left_{0};  // snapshots of round_ not yet written
  std::atomic<std::uint64_t> transactions_{0};
  std::atomic<std::uint64_t> statements_{0};
  std::atomic<std::uint64_t> rows_{0};
  std::atomic<std::uint64_t> superseded_{0};
  std::atomic<std::uint64_t> failures_{0};

  std::thread thread_;  // last: started after every member above exists
};

}  // namespace chatstream::store::common
