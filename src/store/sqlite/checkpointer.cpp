#include "store/sqlite/checkpointer.hpp"

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
      thread_([this] { run(); }) {
  writer_.set_commit_listener([this](int wal_pages) {
    if (wal_pages >= threshold_) request();
  });
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

void Checkpointer::request() {
  {
    const std::lock_guard lock(mutex_);
    if (requested_ || restart_due_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    lock.unlock();
    int wal_pages = 0;
    int checkpointed = 0;
    const auto result =
        conn_->checkpoint(Connection::Checkpoint::passive, 0, wal_pages, checkpointed);
    lock.lock();
    requested_ = false;  // asked for again by a commit after the restart if still needed
    if (result == Connection::CheckpointResult::failed) {
      ++failures_;
    } else {
      ++checkpoints_;
      restart_due_ = true;
    }
  }
}

void Checkpointer::restart_if_due() noexcept {
  {
    const std::lock_guard lock(mutex_);
    if (!restart_due_) return;
    restart_due_ = false;
  }
  int wal_pages = 0;
  int checkpointed = 0;
  switch (writer_.checkpoint(Connection::Checkpoint::restart, kRestartWaitMs, wal_pages,
                             checkpointed)) {
    case Connection::CheckpointResult::done:
      ++restarts_;
      break;
    case Connection::CheckpointResult::busy:
      break;
    case Connection::CheckpointResult::failed:
      ++failures_;
      break;
  }
}

}  // namespace chatstream::store::sqlite
