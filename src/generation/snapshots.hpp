// Snapshots of running generations for the whole hub, on one timer: a generation that got a
// delta since its last snapshot is queued once; every `interval` the queued generations save
// their text (Store::save_progress, which the store's writer batches). Nothing runs per delta
// but a flag and, for the first unsaved delta, a push onto the queue; an idle hub costs no
// wake-up.
//
// Thread-safety: every member may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <vector>

#include "generation/generation.hpp"
#include "store/store.hpp"

namespace chatstream::generation {

class SnapshotScheduler : public std::enable_shared_from_this<SnapshotScheduler> {
 public:
  // `store` must outlive the scheduler.
  SnapshotScheduler(boost::asio::any_io_executor executor, store::Store& store,
                    std::chrono::milliseconds interval);

  // After an append: queues the generation unless it is queued already or stopped.
  void on_delta(const std::shared_ptr<Generation>& g);
  // Saves every queued generation now (also what the timer does).
  void save_due();
  // Queued generations (tests, metrics).
  std::size_t due() const;

 private:
  void arm();  // on the timer's strand

  store::Store& store_;
  const std::chrono::milliseconds interval_;
  boost::asio::steady_timer timer_;  // on its own strand

  mutable std::mutex mutex_;
  std::vector<std::shared_ptr<Generation>> due_;  // guarded by mutex_
  bool armed_ = false;                            // guarded by mutex_
};

}  // namespace chatstream::generation
