#include "store/sqlite/checkpointer.hpp"

#include <utility>

namespace chatstream::store::sqlite {
namespace {

// Opening needs no lock and a checkpoint never waits (PASSIVE): no busy timeout is needed.
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
    if (requested_) return;
    requested_ = true;
  }
  wake_.notify_one();
}

void Checkpointer::run() {
  std::unique_lock lock(mutex_);
  for (;;) {
    wake_.wait(lock, [this] { return requested_ || stopping_; });
    if (stopping_) return;
    requested_ = false;
    lock.unlock();
    int wal_pages = 0;
    int checkpointed = 0;
    if (conn_->checkpoint_passive(wal_pages, checkpointed)) {
      ++checkpoints_;
    } else {
      ++failures_;
    }
    lock.lock();
  }
}

}  // namespace chatstream::store::sqlite
