// The batching writer against a recording backend: group commit, order, failures, and how
// queued snapshots are kept out of the way of awaited writes.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "store/common/batch_writer.hpp"

namespace chatstream::store::common {
namespace {

// Everything the writer did, in order: "begin", "commit", "rollback", "progress <id> <text>",
// and what operations record themselves.
struct Journal {
  std::mutex mutex;
  std::vector<std::string> entries;
  std::function<void()> on_progress;  // called on every snapshot written (writer thread)
  int commits = 0;                    // commits attempted
  int fail_commit_number = -1;        // the commit with this number (0: the first) throws

  void add(std::string e) {
    std::lock_guard lock(mutex);
    entries.push_back(std::move(e));
  }
  std::vector<std::string> copy() {
    std::lock_guard lock(mutex);
    return entries;
  }
  // The entries of each committed or failed transaction (begin .. commit/rollback).
  std::vector<std::vector<std::string>> transactions() {
    std::vector<std::vector<std::string>> out;
    for (const auto& e : copy()) {
      if (e == "begin") {
        out.emplace_back();
      } else if (e != "commit" && e != "rollback" && !out.empty()) {
        out.back().push_back(e);
      }
    }
    return out;
  }
};

class RecordingBackend final : public WriterBackend {
 public:
  explicit RecordingBackend(std::shared_ptr<Journal> j) : journal_(std::move(j)) {}
  void begin() override { journal_->add("begin"); }
  void savepoint() override {}
  void release_savepoint() override {}
  void rollback_to_savepoint() override { journal_->add("rollback to savepoint"); }
  void commit() override {
    {
      std::lock_guard lock(journal_->mutex);
      if (journal_->commits++ == journal_->fail_commit_number) {
        throw StoreFailure("commit failed");
      }
    }
    journal_->add("commit");
  }
  void rollback() override { journal_->add("rollback"); }
  void write_progress(const std::string& id, const std::string& content, std::int64_t,
                      std::int64_t) override {
    journal_->add("progress " + id + " " + content);
    if (journal_->on_progress) journal_->on_progress();
  }
  void write_touch(TouchKind, const std::string& id, std::int64_t) override {
    journal_->add("touch " + id);
  }
  std::uint64_t statements_written() const override { return 0; }
  std::uint64_t rows_written() const override { return 0; }

 private:
  std::shared_ptr<Journal> journal_;
};

struct Fixture {
  explicit Fixture(std::chrono::milliseconds interval, std::size_t chunk = 128) {
    WriterOptions o;
    o.progress_interval = interval;
    o.progress_chunk = chunk;
    o.clock = [] { return std::int64_t{1000}; };
    writer = std::make_unique<BatchWriter>(std::make_unique<RecordingBackend>(journal), o);
  }
  // Submits and waits (bounded) for the completion; returns its error.
  std::exception_ptr run(BatchWriter::Work work) {
    std::promise<std::exception_ptr> done;
    auto f = done.get_future();
    writer->submit(std::move(work), [&done](std::exception_ptr e) { done.set_value(e); });
    EXPECT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
    return f.get();
  }
  std::shared_ptr<Journal> journal = std::make_shared<Journal>();
  std::unique_ptr<BatchWriter> writer;
};

std::string id_of(int i) {
  std::string s = std::to_string(i);
  return std::string(6 - s.size(), '0') + s;
}

bool is_progress(const std::string& e) {
  return e.rfind("progress ", 0) == 0;
}

TEST(BatchWriter, AnAwaitedWriteDoesNotWaitForQueuedSnapshots) {
  Fixture fx(std::chrono::hours(1));  // the timer never writes them during the test
  for (int i = 999; i >= 0; --i) fx.writer->save_progress(id_of(i), "old", 1);
  for (int i = 0; i < 1000; ++i) fx.writer->save_progress(id_of(i), "new", 2);
  EXPECT_EQ(fx.run([&] { fx.journal->add("insert"); }), nullptr);
  for (const auto& e : fx.journal->copy()) EXPECT_FALSE(is_progress(e)) << e;
  EXPECT_EQ(fx.writer->stats().queue_depth, 1000U);

  // A flush writes them all, newest content only, in id order.
  EXPECT_EQ(fx.run([&] { fx.writer->write_all_progress(); }), nullptr);
  std::vector<std::string> written;
  for (const auto& e : fx.journal->copy()) {
    if (is_progress(e)) written.push_back(e);
  }
  ASSERT_EQ(written.size(), 1000U);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(written[i], "progress " + id_of(i) + " new");
  EXPECT_EQ(fx.writer->stats().queue_depth, 0U);
}

// Snapshots per transaction, and whether any transaction mixed snapshots and operations.
struct Shape {
  std::vector<std::size_t> snapshots;  // per transaction that wrote any
  bool mixed = false;
  std::vector<std::string> progress;  // every snapshot written, in order
};
Shape shape_of(Journal& journal) {
  Shape out;
  for (const auto& tx : journal.transactions()) {
    std::size_t snapshots = 0, operations = 0;
    for (const auto& e : tx) {
      if (is_progress(e)) {
        ++snapshots;
        out.progress.push_back(e);
      } else {
        ++operations;
      }
    }
    if (snapshots > 0) out.snapshots.push_back(snapshots);
    out.mixed = out.mixed || (snapshots > 0 && operations > 0);
  }
  return out;
}

void wait_until_written(BatchWriter& writer) {
  for (int i = 0; i < 2000 && writer.stats().queue_depth > 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
}

TEST(BatchWriter, WithNoOperationWaitingARoundIsOneTransaction) {
  Fixture fx(std::chrono::milliseconds(20), 50);
  for (int i = 0; i < 1000; ++i) fx.writer->save_progress(id_of(i), "text", 1);
  wait_until_written(*fx.writer);
  EXPECT_EQ(fx.writer->stats().queue_depth, 0U);
  const Shape shape = shape_of(*fx.journal);
  // One round (two if the timer fired while the snapshots were being queued), not 20 chunks.
  EXPECT_GE(shape.snapshots.size(), 1U);
  EXPECT_LE(shape.snapshots.size(), 2U);
  ASSERT_EQ(shape.progress.size(), 1000U);
  for (int i = 0; i < 1000; ++i) EXPECT_EQ(shape.progress[i], "progress " + id_of(i) + " text");
}

TEST(BatchWriter, AnOperationQueuedDuringARoundWaitsForOneChunkAtMost) {
  Fixture fx(std::chrono::milliseconds(1), 50);
  std::promise<std::exception_ptr> op_done;
  std::atomic<int> written{0};
  // While the writer writes the 10th snapshot of the round, an insert arrives.
  fx.journal->on_progress = [&] {
    if (written.fetch_add(1) + 1 == 10) {
      fx.writer->submit([&] { fx.journal->add("op"); },
                        [&](std::exception_ptr e) { op_done.set_value(e); });
    }
  };
  for (int i = 0; i < 1000; ++i) fx.writer->save_progress(id_of(i), "text", 1);
  auto f = op_done.get_future();
  ASSERT_EQ(f.wait_for(std::chrono::seconds(20)), std::future_status::ready);
  EXPECT_EQ(f.get(), nullptr);
  wait_until_written(*fx.writer);
  EXPECT_EQ(fx.run([] {}), nullptr);

  std::size_t before_op = 0;
  for (const auto& e : fx.journal->copy()) {
    if (e == "op") break;
    before_op += is_progress(e) ? 1 : 0;
  }
  EXPECT_GE(before_op, 10U);
  EXPECT_LE(before_op, 50U) << "the insert waited for more than one chunk of snapshots";
  const Shape shape = shape_of(*fx.journal);
  EXPECT_FALSE(shape.mixed) << "an operation was committed together with snapshots";
  EXPECT_EQ(shape.progress.size(), 1000U);
}

TEST(BatchWriter, NewerSnapshotsNeverLandBeforeOlderOnes) {
  Fixture fx(std::chrono::milliseconds(1), 7);
  for (int round = 0; round < 30; ++round) {
    for (int i = 0; i < 40; ++i) fx.writer->save_progress(id_of(i), std::to_string(round), round);
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_EQ(fx.run([&] { fx.writer->write_all_progress(); }), nullptr);
  std::vector<int> last(40, -1);
  for (const auto& e : fx.journal->copy()) {
    if (!is_progress(e)) continue;
    const int id = std::stoi(e.substr(9, 6));
    const int round = std::stoi(e.substr(16));
    EXPECT_GT(round, last[id]) << e;
    last[id] = round;
  }
  for (int v : last) EXPECT_EQ(v, 29);
}

// Holds the writer inside the first operation until every other one is queued, so that they
// all form the next batches.
struct Gate {
  std::mutex mutex;
  std::condition_variable cv;
  bool open = false;
  bool entered = false;
  void wait() {
    std::unique_lock lock(mutex);
    entered = true;
    cv.notify_all();
    cv.wait_for(lock, std::chrono::seconds(20), [this] { return open; });
  }
  // Until the writer is inside wait(): whatever is submitted next forms a new batch.
  void until_entered() {
    std::unique_lock lock(mutex);
    cv.wait_for(lock, std::chrono::seconds(20), [this] { return entered; });
  }
  void release() {
    {
      std::lock_guard lock(mutex);
      open = true;
    }
    cv.notify_all();
  }
};

TEST(BatchWriter, ManyConcurrentWritesAreGroupedKeptInOrderAndAllComplete) {
  Fixture fx(std::chrono::hours(1));
  Gate gate;
  std::atomic<int> ok{0}, failed{0};
  auto done = [&](std::exception_ptr e) { (e ? failed : ok).fetch_add(1); };
  fx.writer->submit([&] { gate.wait(); }, done);
  gate.until_entered();
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 250; ++i) {
        fx.writer->submit([&fx, t, i] { fx.journal->add(id_of(t * 1000 + i)); }, done);
      }
    });
  }
  for (auto& th : threads) th.join();
  gate.release();
  EXPECT_EQ(fx.run([] {}), nullptr);
  EXPECT_EQ(ok.load(), 1001);
  EXPECT_EQ(failed.load(), 0);
  // 1,000 operations queued behind the gate: max_batch (256) per transaction.
  EXPECT_LE(fx.writer->stats().write_transactions, 7U);
  std::vector<int> next(4, 0);
  for (const auto& e : fx.journal->copy()) {
    if (e == "begin" || e == "commit") continue;
    const int v = std::stoi(e);
    EXPECT_EQ(v % 1000, next[v / 1000]++) << "out of order";
  }
  for (int n : next) EXPECT_EQ(n, 250);
}

TEST(BatchWriter, AFailedCommitReportsToEveryWaiterOfItsBatchAndTheNextBatchWorks) {
  Fixture fx(std::chrono::hours(1));
  Gate gate;
  std::mutex mutex;
  std::vector<std::exception_ptr> results(10);
  std::atomic<int> completed{0};
  {
    std::lock_guard lock(fx.journal->mutex);
    fx.journal->fail_commit_number = 1;  // the gate's batch commits, the next one (the ten) not
  }
  fx.writer->submit([&] { gate.wait(); }, [](std::exception_ptr) {});
  gate.until_entered();
  for (int i = 0; i < 10; ++i) {
    fx.writer->submit([] {},
                      [&, i](std::exception_ptr e) {
                        std::lock_guard lock(mutex);
                        results[i] = e;
                        completed.fetch_add(1);
                      });
  }
  gate.release();
  for (int i = 0; i < 4000 && completed.load() < 10; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_EQ(completed.load(), 10);
  EXPECT_EQ(fx.run([&] { fx.journal->add("after"); }), nullptr);
  for (const auto& e : results) {
    ASSERT_NE(e, nullptr);
    EXPECT_THROW(std::rethrow_exception(e), StoreFailure);
  }
  EXPECT_EQ(fx.writer->stats().write_failures, 1U);
  // An operation that fails alone reports its own error; its batch still commits.
  std::promise<std::exception_ptr> alone;
  fx.writer->submit([] { throw std::runtime_error("bad row"); },
                    [&](std::exception_ptr e) { alone.set_value(e); });
  EXPECT_EQ(fx.run([] {}), nullptr);
  auto alone_error = alone.get_future().get();
  ASSERT_NE(alone_error, nullptr);
  EXPECT_THROW(std::rethrow_exception(alone_error), std::runtime_error);
}

TEST(BatchWriter, ClosingWritesTheRoundInProgressAndTheQueuedSnapshots) {
  auto journal = std::make_shared<Journal>();
  {
    Fixture fx(std::chrono::hours(1));
    journal = fx.journal;
    for (int i = 0; i < 300; ++i) fx.writer->save_progress(id_of(i), "kept", 1);
  }
  std::size_t written = 0;
  for (const auto& tx : journal->transactions()) {
    for (const auto& e : tx) written += is_progress(e) ? 1 : 0;
  }
  EXPECT_EQ(written, 300U);
  EXPECT_EQ(journal->copy().back(), "commit");
}

}  // namespace
}  // namespace chatstream::store::common
