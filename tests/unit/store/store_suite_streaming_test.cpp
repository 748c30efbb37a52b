// The backend-independent store suite, part 2: streaming messages, durability, concurrency.
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>

#include <thread>

#include "store_test_support.hpp"
#include "util/id.hpp"

namespace chatstream::store::test {
namespace {

namespace asio = boost::asio;

std::vector<Message> streaming_messages(Store& store, const Conversation& c, int count) {
  Message user;
  user.role = Role::user;
  user.content = "prompt";
  user.id = util::new_id();
  std::vector<Message> batch{user};
  for (int i = 0; i < count; ++i) {
    Message m;
    m.role = Role::assistant;
    m.status = MessageStatus::streaming;
    m.parent_id = user.id;
    batch.push_back(m);
  }
  auto stored = sync(store.insert_messages(c.user_id, c.id, batch)).value();
  stored.erase(stored.begin());
  return stored;
}

MessageFinal final_for(const Message& m, std::string content) {
  MessageFinal f;
  f.id = m.id;
  f.content = std::move(content);
  f.status = MessageStatus::complete;
  f.finish_reason = "stop";
  f.prompt_tokens = 12;
  f.completion_tokens = 345;
  f.ttft_ms = 180;
  f.duration_ms = 4200;
  f.delta_seq = 57;
  return f;
}

TEST_P(StoreSuite, ProgressSnapshotsAreCoalescedIntoFewTransactions) {
  const Conversation c = make_conversation("stream");
  const auto messages = streaming_messages(*store_, c, 50);
  sync(store_->flush());
  const StoreStats before = store_->stats();

  constexpr int rounds = 20;
  for (int round = 1; round <= rounds; ++round) {
    for (std::size_t i = 0; i < messages.size(); ++i) {
      store_->save_progress(messages[i].id,
                            "message " + std::to_string(i) + " round " + std::to_string(round),
                            round);
    }
  }
  sync(store_->flush());
  const StoreStats after = store_->stats();

  const auto stored = sync(store_->list_messages("local", c.id));
  ASSERT_EQ(stored.size(), messages.size() + 1);
  for (std::size_t i = 0; i < messages.size(); ++i) {
    const Message& m = stored[i + 1];
    EXPECT_EQ(m.id, messages[i].id);
    EXPECT_EQ(m.content, "message " + std::to_string(i) + " round " + std::to_string(rounds));
    EXPECT_EQ(m.delta_seq, rounds);
    EXPECT_EQ(m.status, MessageStatus::streaming);
  }
  // 1000 snapshots: with batching and superseding, a handful of transactions and at most
  // one row write per message per transaction.
  const auto transactions = after.write_transactions - before.write_transactions;
  EXPECT_GE(transactions, 1U);
  EXPECT_LE(transactions, 10U);
  EXPECT_LE(after.rows_written - before.rows_written, transactions * messages.size());
  EXPECT_GE(after.progress_superseded - before.progress_superseded, 500U);
  EXPECT_EQ(after.queue_depth, 0U);
}

TEST_P(StoreSuite, ProgressBecomesDurableWithoutAnExplicitFlush) {
  const Conversation c = make_conversation("timer");
  const auto messages = streaming_messages(*store_, c, 1);
  store_->save_progress(messages[0].id, "partial text", 3);
  // Written by the batching timer; poll (bounded) instead of flushing.
  std::string content;
  for (int i = 0; i < 200 && content != "partial text"; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
    content = sync(store_->get_message("local", messages[0].id))->content;
  }
  EXPECT_EQ(content, "partial text");
}

TEST_P(StoreSuite, FinishMessageWinsOverProgressAndIsWrittenOnce) {
  const Conversation c = make_conversation("finish");
  const auto messages = streaming_messages(*store_, c, 1);
  const Message& m = messages[0];
  store_->save_progress(m.id, "partial", 10);
  EXPECT_TRUE(sync(store_->finish_message(final_for(m, "the whole answer"))));
  store_->save_progress(m.id, "late snapshot", 11);  // ignored: no longer streaming
  sync(store_->flush());

  const auto got = sync(store_->get_message("local", m.id));
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->content, "the whole answer");
  EXPECT_EQ(got->status, MessageStatus::complete);
  EXPECT_EQ(got->delta_seq, 57);

  MessageFinal second = final_for(m, "other");
  second.status = MessageStatus::cancelled;
  EXPECT_FALSE(sync(store_->finish_message(second)));  // the first final state wins
  EXPECT_EQ(sync(store_->get_message("local", m.id))->content, "the whole answer");
  MessageFinal unknown = final_for(m, "x");
  unknown.id = util::new_id();
  EXPECT_FALSE(sync(store_->finish_message(unknown)));
  MessageFinal still_streaming = final_for(m, "x");
  still_streaming.status = MessageStatus::streaming;
  EXPECT_THROW(sync(store_->finish_message(still_streaming)), std::invalid_argument);
}

TEST_P(StoreSuite, FinishedMessageSurvivesReopen) {
  const Conversation c = make_conversation("durable");
  const auto messages = streaming_messages(*store_, c, 2);
  advance(4200);
  MessageFinal ok = final_for(messages[0], "done \xE2\x9C\x93");
  ASSERT_TRUE(sync(store_->finish_message(ok)));
  MessageFinal failed;
  failed.id = messages[1].id;
  failed.content = "half an ans";
  failed.status = MessageStatus::error;
  failed.error_message = "upstream overloaded";
  failed.error_code = "overloaded_error";
  ASSERT_TRUE(sync(store_->finish_message(failed)));

  reopen();
  const auto a = sync(store_->get_message("local", messages[0].id));
  ASSERT_TRUE(a.has_value());
  EXPECT_EQ(a->content, "done \xE2\x9C\x93");
  EXPECT_EQ(a->status, MessageStatus::complete);
  EXPECT_EQ(a->finish_reason, "stop");
  EXPECT_EQ(a->prompt_tokens, 12);
  EXPECT_EQ(a->completion_tokens, 345);
  EXPECT_EQ(a->ttft_ms, 180);
  EXPECT_EQ(a->duration_ms, 4200);
  EXPECT_EQ(a->model, "");
  EXPECT_FALSE(a->error_message.has_value());
  EXPECT_EQ(a->created_at_ms, t0);
  EXPECT_EQ(a->updated_at_ms, t0 + 4200);
  const auto b = sync(store_->get_message("local", messages[1].id));
  ASSERT_TRUE(b.has_value());
  EXPECT_EQ(b->status, MessageStatus::error);
  EXPECT_EQ(b->content, "half an ans");
  EXPECT_EQ(b->error_message, "upstream overloaded");
  EXPECT_EQ(b->error_code, "overloaded_error");
  EXPECT_FALSE(b->finish_reason.has_value());
  EXPECT_FALSE(b->prompt_tokens.has_value());
}

TEST_P(StoreSuite, ClosingTheStoreCommitsQueuedProgress) {
  const Conversation c = make_conversation("close");
  const auto messages = streaming_messages(*store_, c, 1);
  store_->save_progress(messages[0].id, "saved at shutdown", 4);
  reopen();
  const auto m = sync(store_->get_message("local", messages[0].id));
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->content, "saved at shutdown");
  EXPECT_EQ(m->delta_seq, 4);
}

TEST_P(StoreSuite, MarkInterruptedRecoversStreamingMessages) {
  const Conversation c = make_conversation("crash");
  const auto messages = streaming_messages(*store_, c, 3);
  store_->save_progress(messages[0].id, "partial before the crash", 2);
  ASSERT_TRUE(sync(store_->finish_message(final_for(messages[2], "finished"))));
  reopen();  // as after a restart
  advance(60'000);
  EXPECT_EQ(sync(store_->mark_interrupted_streaming()), 2);
  const auto all = sync(store_->list_messages("local", c.id));
  ASSERT_EQ(all.size(), 4U);
  EXPECT_EQ(all[0].status, MessageStatus::complete);  // the user prompt
  EXPECT_EQ(all[1].status, MessageStatus::interrupted);
  EXPECT_EQ(all[1].content, "partial before the crash");
  EXPECT_EQ(all[1].updated_at_ms, t0 + 60'000);
  EXPECT_EQ(all[2].status, MessageStatus::interrupted);
  EXPECT_EQ(all[3].status, MessageStatus::complete);
  EXPECT_EQ(all[3].content, "finished");
  EXPECT_EQ(sync(store_->mark_interrupted_streaming()), 0);
}

TEST_P(StoreSuite, ReopeningKeepsDataAndSchema) {
  const Conversation c = make_conversation("persisted");
  const Message m = add(c, Role::user, "kept");
  for (int i = 0; i < 3; ++i) reopen();
  EXPECT_EQ(sync(store_->get_conversation("local", c.id))->title, "persisted");
  EXPECT_EQ(sync(store_->get_message("local", m.id))->content, "kept");
  add(c, Role::assistant, "and writable", m.id);
  EXPECT_EQ(sync(store_->list_messages("local", c.id)).size(), 2U);
}

// A writer inserting batches of 200 while readers read: every read sees whole batches only
// (inserts are atomic) and never fewer messages than before.
struct ConcurrencyResult {
  int reads = 0;
  int torn_reads = 0;
  int regressions = 0;
  bool writer_done = false;
};

asio::awaitable<void> write_batches(Store& store, Conversation c, ConcurrencyResult& r) {
  for (int batch = 0; batch < 15; ++batch) {
    std::vector<Message> messages(200);
    for (auto& m : messages) m.content = std::string(2000, 'w');
    (co_await store.insert_messages(c.user_id, c.id, std::move(messages))).value();
  }
  r.writer_done = true;
}

asio::awaitable<void> read_while_writing(Store& store, Conversation c, ConcurrencyResult& r) {
  std::size_t last = 0;
  for (int i = 0; i < 400 && !r.writer_done; ++i) {
    const auto messages = co_await store.list_messages(c.user_id, c.id);
    ++r.reads;
    if (messages.size() % 200 != 0) ++r.torn_reads;
    if (messages.size() < last) ++r.regressions;
    last = messages.size();
    co_await store.get_conversation(c.user_id, c.id);
  }
}

TEST_P(StoreSuite, ReadersRunWhileTheWriterIsBusy) {
  const Conversation c = make_conversation("busy");
  ConcurrencyResult result;
  asio::io_context io;
  asio::co_spawn(io, write_batches(*store_, c, result), asio::detached);
  for (int i = 0; i < 4; ++i) {
    asio::co_spawn(io, read_while_writing(*store_, c, result), asio::detached);
  }
  io.run();
  EXPECT_TRUE(result.writer_done);
  EXPECT_GT(result.reads, 0);
  EXPECT_EQ(result.torn_reads, 0);
  EXPECT_EQ(result.regressions, 0);
  EXPECT_EQ(sync(store_->list_messages("local", c.id)).size(), 3000U);
}

asio::awaitable<void> create_many(Store& store, int n, std::vector<std::string>& ids) {
  NewConversation conv;
  conv.title = "parallel " + std::to_string(n);
  ids.push_back((co_await store.create_conversation(conv)).id);
}

TEST_P(StoreSuite, ConcurrentWritesAllComplete) {
  asio::io_context io;
  std::vector<std::string> ids;
  for (int i = 0; i < 200; ++i) asio::co_spawn(io, create_many(*store_, i, ids), asio::detached);
  io.run();
  EXPECT_EQ(ids.size(), 200U);
  ListConversations q;
  q.limit = 200;
  EXPECT_EQ(sync(store_->list_conversations(q)).conversations.size(), 200U);
  EXPECT_LE(store_->stats().write_transactions, 200U + 1);
}

}  // namespace
}  // namespace chatstream::store::test
