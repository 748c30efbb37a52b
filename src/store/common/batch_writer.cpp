#include "store/common/batch_writer.hpp"

#include <boost/asio/post.hpp>

#include <algorithm>
#include <exception>

namespace chatstream::store::common {

namespace asio = boost::asio;

BatchWriter::BatchWriter(std::unique_ptr<WriterBackend> backend, WriterOptions options)
    : work_(io_.get_executor()),
      progress_timer_(io_),
      backend_(std::move(backend)),
      options_(std::move(options)),
      thread_([this] {
        // Handlers catch their own errors; the loop only guards against the unforeseen.
        for (int attempt = 0; attempt < 1000; ++attempt) {
          try {
            io_.run();
            return;
          } catch (...) {
            failures_.fetch_add(1);
          }
        }
      }) {}

BatchWriter::~BatchWriter() {
  try {
    asio::post(io_, [this] {
      try {
        commit_everything();
      } catch (...) {
        failures_.fetch_add(1);
      }
    });
  } catch (...) {
    io_.stop();  // cannot queue the final commit (out of memory): stop without it
  }
  work_.reset();
  try {
    thread_.join();
  } catch (...) {
    std::terminate();  // the writer thread cannot be joined: continuing would be unsafe
  }
}

void BatchWriter::commit_everything() {
  progress_timer_.cancel();
  try {
    if (round_next_ < round_.size() || anything_queued()) {
      begin_if_needed();
      write_all_progress();
    }
  } catch (...) {
    failures_.fetch_add(1);  // the database is unusable: queued snapshots are lost
  }
  if (in_transaction_) commit_batch();
}

void BatchWriter::submit(Work work, Done done) {
  queued_ops_.fetch_add(1);
  asio::post(io_, [this, work = std::move(work), done = std::move(done)]() mutable {
    queued_ops_.fetch_sub(1);
    run_op(work, std::move(done));
  });
}

void BatchWriter::save_progress(std::string message_id, std::string content,
                                std::int64_t delta_seq) {
  std::lock_guard lock(progress_mutex_);
  if (auto it = progress_.find(message_id); it != progress_.end()) {
    it->second = Progress{std::move(content), delta_seq};
    superseded_.fetch_add(1);
  } else {
    progress_.emplace(std::move(message_id), Progress{std::move(content), delta_seq});
  }
  arm_timer_locked();
}

void BatchWriter::touch(TouchKind kind, std::string id, std::int64_t at_ms) {
  std::lock_guard lock(progress_mutex_);
  auto& queued = touches_[static_cast<std::size_t>(kind)];
  if (auto it = queued.find(id); it != queued.end()) {
    it->second = std::max(it->second, at_ms);
    superseded_.fetch_add(1);
  } else {
    queued.emplace(std::move(id), at_ms);
  }
  arm_timer_locked();
}

void BatchWriter::arm_timer_locked() {
  if (!progress_timer_armed_) {
    progress_timer_armed_ = true;
    asio::post(io_, [this] { arm_progress_timer(); });
  }
}

bool BatchWriter::anything_queued() const {
  std::lock_guard lock(progress_mutex_);
  return !progress_.empty() || !touches_[0].empty() || !touches_[1].empty();
}

void BatchWriter::drop_progress(const std::string& message_id) {
  std::lock_guard lock(progress_mutex_);
  progress_.erase(message_id);
}

StoreStats BatchWriter::stats() const {
  StoreStats s;
  s.write_transactions = transactions_.load();
  s.statements = statements_.load();
  s.rows_written = rows_.load();
  s.progress_superseded = superseded_.load();
  s.write_failures = failures_.load();
  std::lock_guard lock(progress_mutex_);
  s.queue_depth = queued_ops_.load() + round_left_.load() + progress_.size() + touches_[0].size() +
                  touches_[1].size();
  return s;
}

void BatchWriter::run_op(const Work& work, Done done) {
  try {
    begin_if_needed();
  } catch (...) {
    done(std::current_exception());
    return;
  }
  std::exception_ptr error;
  try {
    backend_->savepoint();
    try {
      work();
      backend_->release_savepoint();
    } catch (...) {
      error = std::current_exception();
      backend_->rollback_to_savepoint();
    }
  } catch (...) {
    // The savepoint itself failed: the whole transaction is suspect; the commit reports it.
    if (!error) error = std::current_exception();
  }
  finished_.push_back(Finished{std::move(done), error});
  if (++ops_in_batch_ >= options_.max_batch) commit_batch();
}

void BatchWriter::begin_if_needed() {
  if (in_transaction_) return;
  backend_->begin();
  in_transaction_ = true;
  ops_in_batch_ = 0;
  if (!commit_posted_) {
    commit_posted_ = true;
    // Runs after every handler queued so far: they all join this transaction.
    asio::post(io_, [this] {
      commit_posted_ = false;
      if (in_transaction_) commit_batch();
    });
  }
}

void BatchWriter::commit_batch() {
  std::exception_ptr failure;
  try {
    backend_->commit();
    transactions_.fetch_add(1);
  } catch (...) {
    failure = std::current_exception();
    failures_.fetch_add(1);
    try {
      backend_->rollback();
    } catch (...) {
      // Already rolled back by the database (e.g. after an I/O error or a lost connection).
    }
  }
  in_transaction_ = false;
  ops_in_batch_ = 0;
  publish_counters();
  std::vector<Finished> finished;
  finished.swap(finished_);
  for (auto& f : finished) f.done(failure ? failure : f.error);
  backend_->after_commit();
}

void BatchWriter::take_queued_progress() {
  std::unordered_map<std::string, Progress> queued;
  {
    std::lock_guard lock(progress_mutex_);
    queued.swap(progress_);
    round_left_.store(round_left_.load() + queued.size());  // stats never see them missing
  }
  round_.clear();
  round_next_ = 0;
  round_.reserve(queued.size());
  for (auto& [id, p] : queued) round_.push_back(Snapshot{id, std::move(p)});
  // Ids grow with time: in id order the rows of live messages are neighbours on few pages.
  std::sort(round_.begin(), round_.end(),
            [](const Snapshot& a, const Snapshot& b) { return a.message_id < b.message_id; });
  round_left_.store(round_.size());
}

void BatchWriter::write_snapshot(const Snapshot& s, std::int64_t now) {
  backend_->write_progress(s.message_id, s.progress.content, s.progress.delta_seq, now);
}

void BatchWriter::write_all_progress() {
  const std::int64_t now = options_.clock();
  // The older snapshots of an unfinished timer round first, then the newer queued ones.
  for (; round_next_ < round_.size(); ++round_next_) write_snapshot(round_[round_next_], now);
  take_queued_progress();
  for (; round_next_ < round_.size(); ++round_next_) write_snapshot(round_[round_next_], now);
  round_.clear();
  round_next_ = 0;
  round_left_.store(0);
  write_queued_touches();
}

void BatchWriter::write_progress_chunk() {
  // Operations that ran since the last chunk commit first, without waiting for snapshots.
  if (in_transaction_) commit_batch();
  try {
    begin_if_needed();
    const std::int64_t now = options_.clock();
    if (round_next_ == 0) write_queued_touches();
    const std::size_t chunk = std::max<std::size_t>(1, options_.progress_chunk);
    // Chunk after chunk in this transaction while no operation waits; once one does, this
    // chunk is the last before it.
    do {
      const std::size_t end = std::min(round_.size(), round_next_ + chunk);
      for (; round_next_ < end; ++round_next_) write_snapshot(round_[round_next_], now);
    } while (round_next_ < round_.size() && queued_ops_.load() == 0);
  } catch (...) {
    // The rest of the round is lost (newer snapshots of its messages replace it; final states
    // never depend on them); the writer goes on with the next round.
    failures_.fetch_add(1);
    if (in_transaction_) {
      try {
        backend_->rollback();
      } catch (...) {
        // Already rolled back by the database.
      }
      in_transaction_ = false;
      ops_in_batch_ = 0;
      std::vector<Finished> finished;
      finished.swap(finished_);
      for (auto& f : finished) f.done(std::current_exception());
    }
    round_next_ = round_.size();
  }
  if (in_transaction_) commit_batch();
  round_left_.store(round_.size() - round_next_);  // after the commit: queue_depth 0 = durable
  if (round_next_ < round_.size()) {
    // Behind the operations queued meanwhile: they run (and commit) before the next chunk.
    asio::post(io_, [this] { write_progress_chunk(); });
    return;
  }
  round_.clear();
  round_next_ = 0;
  std::lock_guard lock(progress_mutex_);
  if (!progress_.empty() || !touches_[0].empty() || !touches_[1].empty()) arm_timer_locked();
}

void BatchWriter::write_queued_touches() {
  constexpr TouchKind kinds[] = {TouchKind::session_last_seen, TouchKind::api_token_last_used};
  for (const TouchKind kind : kinds) {
    std::unordered_map<std::string, std::int64_t> batch;
    {
      std::lock_guard lock(progress_mutex_);
      batch.swap(touches_[static_cast<std::size_t>(kind)]);
    }
    for (const auto& [id, at_ms] : batch) backend_->write_touch(kind, id, at_ms);
  }
}

void BatchWriter::arm_progress_timer() {
  progress_timer_.expires_after(options_.progress_interval);
  progress_timer_.async_wait([this](boost::system::error_code) { on_progress_timer(); });
}

void BatchWriter::on_progress_timer() {
  {
    std::lock_guard lock(progress_mutex_);
    progress_timer_armed_ = false;
  }
  // A round still being written re-arms the timer when it ends (snapshots stay in order).
  if (round_next_ < round_.size()) return;
  if (!anything_queued()) return;
  take_queued_progress();
  write_progress_chunk();
}

void BatchWriter::publish_counters() {
  statements_.store(backend_->statements_written());
  rows_.store(backend_->rows_written());
}

}  // namespace chatstream::store::common
