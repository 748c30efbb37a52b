// The hub's snapshot scheduler against a real SQLite store: one snapshot per interval per
// generation whatever its number of deltas, the whole text, nothing after the final state.
#include "generation/snapshots.hpp"
#include "support/process.hpp"
#include "support/sync.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include <filesystem>

#include "store/store.hpp"
#include "util/id.hpp"

namespace chatstream::generation {
namespace {

namespace asio = boost::asio;
using testing::sync;

class SnapshotTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreConfig config;
    config.url = "sqlite:" + (dir_.path() / "chat.db").string();
    config.progress_interval = std::chrono::hours(1);  // only flush() writes snapshots
    store_ = store::open_store(config);
    auto c = sync(store_->create_conversation({}));
    store::Message user;
    user.role = store::Role::user;
    user.content = "hi";
    user.id = util::new_id();
    store::Message answer;
    answer.role = store::Role::assistant;
    answer.status = store::MessageStatus::streaming;
    answer.parent_id = user.id;
    auto stored = sync(store_->insert_messages("local", c.id, {user, answer})).value();
    g_ = std::make_shared<Generation>(stored[1].id, c.id, "local", asio::make_strand(io_));
  }
  void TearDown() override { store_.reset(); }

  // Runs the scheduler's timer (bounded) until nothing is queued.
  void run_until_saved(const SnapshotScheduler& s) {
    for (int i = 0; i < 400 && s.due() > 0; ++i) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
  }
  store::Message saved() {
    sync(store_->flush());
    return *sync(store_->get_message("local", g_->message_id()));
  }

  testing::TempDir dir_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::shared_ptr<Generation> g_;
};

TEST_F(SnapshotTest, OneQueuedEntryPerGenerationAndTheWholeTextIsSaved) {
  auto s = std::make_shared<SnapshotScheduler>(io_.get_executor(), *store_,
                                               std::chrono::milliseconds(5));
  for (const char* t : {"Hel", "lo", " wor", "ld"}) {
    g_->append(t);
    s->on_delta(g_);
  }
  EXPECT_EQ(s->due(), 1U);
  s->save_due();
  EXPECT_EQ(s->due(), 0U);
  auto m = saved();
  EXPECT_EQ(m.content, "Hello world");
  EXPECT_EQ(m.delta_seq, 4);
  EXPECT_EQ(m.status, store::MessageStatus::streaming);

  // Nothing new: nothing queued, nothing written.
  const auto rows = store_->stats().rows_written;
  s->save_due();
  EXPECT_EQ(saved().content, "Hello world");
  EXPECT_EQ(store_->stats().rows_written, rows);
}

TEST_F(SnapshotTest, TheTimerSavesQueuedGenerations) {
  auto s = std::make_shared<SnapshotScheduler>(io_.get_executor(), *store_,
                                               std::chrono::milliseconds(5));
  g_->append("first");
  s->on_delta(g_);
  run_until_saved(*s);
  EXPECT_EQ(s->due(), 0U);
  EXPECT_EQ(saved().content, "first");
  g_->append(" second");
  s->on_delta(g_);  // queued again after its snapshot
  EXPECT_EQ(s->due(), 1U);
  run_until_saved(*s);
  auto m = saved();
  EXPECT_EQ(m.content, "first second");
  EXPECT_EQ(m.delta_seq, 2);
}

TEST_F(SnapshotTest, NoSnapshotAfterTheFinalStateIsBeingWritten) {
  auto s = std::make_shared<SnapshotScheduler>(io_.get_executor(), *store_,
                                               std::chrono::milliseconds(5));
  g_->append("partial");
  s->on_delta(g_);
  g_->stop_snapshots();  // queued, then stopped: the timer saves nothing
  g_->append(" more");
  s->on_delta(g_);
  EXPECT_EQ(s->due(), 1U);
  const auto rows = store_->stats().rows_written;
  s->save_due();
  EXPECT_EQ(saved().content, "");
  EXPECT_EQ(store_->stats().rows_written, rows);
  g_->append(" and more");
  s->on_delta(g_);
  EXPECT_EQ(s->due(), 0U);  // a stopped generation is not queued any more

  // The final state carries every word.
  store::MessageFinal f;
  f.id = g_->message_id();
  f.content = g_->text();
  f.status = store::MessageStatus::error;
  f.delta_seq = static_cast<std::int64_t>(g_->last_seq());
  EXPECT_TRUE(sync(store_->finish_message(f)));
  auto m = saved();
  EXPECT_EQ(m.content, "partial more and more");
  EXPECT_EQ(m.delta_seq, 3);
}

}  // namespace
}  // namespace chatstream::generation
