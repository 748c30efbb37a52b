#include "store/postgres/writer.hpp"

#include <boost/asio/post.hpp>

#include <exception>

#include "store/postgres/repository.hpp"

namespace chatstream::store::postgres {

namespace asio = boost::asio;

Writer::Writer(std::unique_ptr<Connection> conn, WriterOptions options)
    : work_(io_.get_executor()),
      progress_timer_(io_),
      conn_(std::move(conn)),
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

Writer::~Writer() {
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

void Writer::commit_everything() {
  progress_timer_.cancel();
  bool queued = false;
  {
    std::lock_guard lock(progress_mutex_);
    queued = !progress_.empty();
  }
  try {
    if (queued) begin_if_needed();
  } catch (...) {
    failures_.fetch_add(1);  // the database is unusable: queued snapshots are lost
  }
  if (in_transaction_) commit_batch();
}

void Writer::submit(Work work, Done done) {
  queued_ops_.fetch_add(1);
  asio::post(io_, [this, work = std::move(work), done = std::move(done)]() mutable {
    queued_ops_.fetch_sub(1);
    run_op(work, std::move(done));
  });
}

void Writer::save_progress(std::string message_id, std::string content, std::int64_t delta_seq) {
  std::lock_guard lock(progress_mutex_);
  if (auto it = progress_.find(message_id); it != progress_.end()) {
    it->second = Progress{std::move(content), delta_seq};
    superseded_.fetch_add(1);
  } else {
    progress_.emplace(std::move(message_id), Progress{std::move(content), delta_seq});
  }
  if (!progress_timer_armed_) {
    progress_timer_armed_ = true;
    asio::post(io_, [this] { arm_progress_timer(); });
  }
}

void Writer::drop_progress(const std::string& message_id) {
  std::lock_guard lock(progress_mutex_);
  progress_.erase(message_id);
}

StoreStats Writer::stats() const {
  StoreStats s;
  s.write_transactions = transactions_.load();
  s.statements = statements_.load();
  s.rows_written = rows_.load();
  s.progress_superseded = superseded_.load();
  s.write_failures = failures_.load();
  std::lock_guard lock(progress_mutex_);
  s.queue_depth = queued_ops_.load() + progress_.size();
  return s;
}

void Writer::run_op(const Work& work, Done done) {
  try {
    begin_if_needed();
  } catch (...) {
    done(std::current_exception());
    return;
  }
  std::exception_ptr error;
  try {
    conn_->exec("SAVEPOINT op");
    try {
      work(*conn_);
      conn_->exec("RELEASE SAVEPOINT op");
    } catch (...) {
      error = std::current_exception();
      conn_->exec("ROLLBACK TO SAVEPOINT op; RELEASE SAVEPOINT op");
    }
  } catch (...) {
    // The savepoint itself failed: the whole transaction is suspect; the commit reports it.
    if (!error) error = std::current_exception();
  }
  finished_.push_back(Finished{std::move(done), error});
  if (++ops_in_batch_ >= options_.max_batch) commit_batch();
}

void Writer::begin_if_needed() {
  if (in_transaction_) return;
  conn_->ensure_open();
  try {
    conn_->exec("BEGIN");
  } catch (const ConnectionLost&) {
    // The session died while idle (e.g. a server restart): nothing was sent yet, so
    // reconnecting and beginning again is safe.
    conn_->ensure_open();
    conn_->exec("BEGIN");
  }
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

void Writer::commit_batch() {
  std::exception_ptr failure;
  try {
    write_queued_progress();
    // COMMIT of a failed transaction "succeeds" as a rollback: refuse it instead.
    if (conn_->transaction_failed()) throw StoreFailure("store: PostgreSQL transaction aborted");
    conn_->exec("COMMIT");
    transactions_.fetch_add(1);
  } catch (...) {
    failure = std::current_exception();
    failures_.fetch_add(1);
    try {
      if (!conn_->broken()) conn_->exec("ROLLBACK");
    } catch (...) {
      // The server rolls back the transaction of a lost connection; nothing more to undo.
    }
  }
  in_transaction_ = false;
  ops_in_batch_ = 0;
  publish_counters();
  std::vector<Finished> finished;
  finished.swap(finished_);
  for (auto& f : finished) f.done(failure ? failure : f.error);
}

void Writer::write_queued_progress() {
  std::unordered_map<std::string, Progress> batch;
  {
    std::lock_guard lock(progress_mutex_);
    batch.swap(progress_);
  }
  const std::int64_t now = options_.clock();
  for (const auto& [id, p] : batch) repo::write_progress(*conn_, id, p.content, p.delta_seq, now);
}

void Writer::arm_progress_timer() {
  progress_timer_.expires_after(options_.progress_interval);
  progress_timer_.async_wait([this](boost::system::error_code) { on_progress_timer(); });
}

void Writer::on_progress_timer() {
  bool queued = false;
  {
    std::lock_guard lock(progress_mutex_);
    progress_timer_armed_ = false;
    queued = !progress_.empty();
  }
  if (!queued) return;
  try {
    begin_if_needed();
  } catch (...) {
    failures_.fetch_add(1);
    return;
  }
  commit_batch();
}

void Writer::publish_counters() {
  statements_.store(conn_->statements_written());
  rows_.store(conn_->rows_written());
}

}  // namespace chatstream::store::postgres
