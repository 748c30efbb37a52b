#include "generation/snapshots.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>

namespace chatstream::generation {
namespace asio = boost::asio;

SnapshotScheduler::SnapshotScheduler(asio::any_io_executor executor, store::Store& store,
                                     std::chrono::milliseconds interval)
    : store_(store), interval_(interval), timer_(asio::make_strand(executor)) {}

void SnapshotScheduler::on_delta(const std::shared_ptr<Generation>& g) {
  if (!g->mark_snapshot_due()) return;
  bool arm_now = false;
  {
    std::lock_guard lock(mutex_);
    due_.push_back(g);
    if (!armed_) arm_now = armed_ = true;
  }
  if (arm_now) {
    asio::post(timer_.get_executor(), [weak = weak_from_this()] {
      if (auto self = weak.lock()) self->arm();
    });
  }
}

void SnapshotScheduler::arm() {
  timer_.expires_after(interval_);
  timer_.async_wait([weak = weak_from_this()](boost::system::error_code ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->save_due();
  });
}

void SnapshotScheduler::save_due() {
  std::vector<std::shared_ptr<Generation>> due;
  {
    std::lock_guard lock(mutex_);
    due.swap(due_);
    armed_ = false;
  }
  for (const auto& g : due) g->save_snapshot(store_);
}

std::size_t SnapshotScheduler::due() const {
  std::lock_guard lock(mutex_);
  return due_.size();
}

}  // namespace chatstream::generation
