#include "store/sqlite/checkpointer.hpp"

#include <algorithm>
#include <utility>

namespace chatstream::store::sqlite {
namespace {

// Opening needs no lock and step 1 never waits (PASSIVE): no busy timeout is needed.
constexpr int kBusyTimeoutMs = 0;

}  // namespace

Checkpointer::Checkpointer(Connection& writer, int threshold_pages)
    : writer_(writer),
      threshold_(threshold_pages),
      conn_(Connection::open(writer.path(), OpenMode::maintenance, kBusyTimeoutMs)),
      next_round_at_(threshold_pages),
      next_restart_at_(kRestartFactor * threshold_pages),
      thread_([this] { run(); }) {
  writer_.set_commit_listener([this](int wal_pages) { on_commit(wal_pages); });
}

Checkpointer::~Checkpointer() {
  writer_.set_commit_listener(nullptr);
  {
    const std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_one();
  thread_.join();
}

void Checkpointer::on_commit(int wal_pages) {
  {
    const std::lock_guard lock(mutex_);
    if (wal_pages < last_wal_pages_) {  // the WAL started again
      next_round_at_ = threshold_;
      next_restart_at_ = kRestartFactor * threshold_;
    }
    last_wal_pages_ = wal_pages;
    if (wal_pages >= next_restart_at_) {
      restart_due_ = true;  // the writer runs step 2 right after this commit
      return;
    }
    if (requested_ || wal_pages < next_round_at_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    running_ = true;
    lock.unlock();
    int wal_pages = 0;
    int checkpointed = 0;
    const auto result =
        conn_->checkpoint(Connection::Checkpoint::passive, 0, wal_pages, checkpointed);
    lock.lock();
    running_ = false;
    requested_ = false;
    // The next one once as many pages again were written (a failed one is retried then too),
    // unless the WAL starts again meanwhile.
    next_round_at_ = std::max(wal_pages, last_wal_pages_) + threshold_;
    if (result == Connection::CheckpointResult::failed) {
      ++failures_;
    } else {
      ++checkpoints_;
    }
    done_.notify_all();
  }
}

void Checkpointer::restart_if_due() noexcept {
  {
    std::unique_lock lock(mutex_);
    if (!restart_due_) return;
    restart_due_ = false;
    // SQLite runs one checkpoint at a time: a step 1 under way ends first (the writer, and
    // with it the WAL, waits for it).
    done_.wait(lock, [this] { return !running_; });
  }
  int wal_pages = 0;
  int checkpointed = 0;
  const auto result =
      writer_.checkpoint(Connection::Checkpoint::restart, kRestartWaitMs, wal_pages, checkpointed);
  const std::lock_guard lock(mutex_);
  switch (result) {
    case Connection::CheckpointResult::done:
      ++restarts_;
      break;
    case Connection::CheckpointResult::busy:  // a reader held on: again a threshold later
      next_restart_at_ = wal_pages + threshold_;
      break;
    case Connection::CheckpointResult::failed:
      ++failures_;
      next_restart_at_ = wal_pages + threshold_;
      break;
  }
}

}  // namespace chatstream::store::sqlite
