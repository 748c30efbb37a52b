// The hub end to end on a real SQLite store with a scripted provider: every word is saved
// (also when the provider fails midway), snapshots while it streams, and ended logs leave
// after their grace period.
#include "generation/hub.hpp"
#include "support/process.hpp"
#include "support/sync.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <filesystem>

#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "util/id.hpp"

namespace chatstream::generation {
namespace {

namespace asio = boost::asio;
using testing::sync;

// Sends `words` deltas `gap` apart, then Finish, or a StreamError after `fail_after` deltas.
class ScriptedProvider final : public providers::Provider {
 public:
  ScriptedProvider(int words, std::chrono::milliseconds gap, int fail_after = -1)
      : words_(words), gap_(gap), fail_after_(fail_after) {}
  const std::string& name() const override { return name_; }
  std::string_view kind() const override { return "scripted"; }
  std::vector<providers::ModelInfo> models() const override { return {}; }
  asio::awaitable<void> stream_chat(providers::ChatRequest, providers::EventSink sink) override {
    asio::steady_timer timer(co_await asio::this_coro::executor);
    for (int i = 0; i < words_; ++i) {
      if (i == fail_after_) {
        sink(providers::StreamError{providers::ErrorKind::truncated, "", "cut", 0, "", false});
        co_return;
      }
      sink(providers::TextDelta{"w" + std::to_string(i) + " "});
      timer.expires_after(gap_);
      co_await timer.async_wait(asio::use_awaitable);
    }
    sink(providers::Finish{"stop", "stop"});
  }

 private:
  std::string name_ = "scripted";
  int words_;
  std::chrono::milliseconds gap_;
  int fail_after_;
};

class HubTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store::StoreConfig config;
    config.url = "sqlite:" + (dir_.path() / "chat.db").string();
    config.progress_interval = std::chrono::milliseconds(5);
    store_ = store::open_store(config);
    conversation_ = sync(store_->create_conversation({})).id;
  }
  void TearDown() override {
    hub_.reset();
    store_.reset();
  }

  void make_hub(HubSettings settings) {
    hub_ = std::make_unique<GenerationHub>(
        io_.get_executor(), *store_, settings,
        std::make_shared<spdlog::logger>("hub-test",
                                         std::make_shared<spdlog::sinks::null_sink_mt>()));
  }
  // A streaming answer in the store and its generation started.
  std::shared_ptr<Generation> start(std::shared_ptr<providers::Provider> provider) {
    store::Message user;
    user.id = util::new_id();
    user.role = store::Role::user;
    user.content = "hi";
    store::Message answer;
    answer.role = store::Role::assistant;
    answer.status = store::MessageStatus::streaming;
    answer.parent_id = user.id;
    auto stored = sync(store_->insert_messages("local", conversation_, {user, answer})).value();
    EXPECT_TRUE(hub_->try_reserve());
    StartParams p;
    p.user_id = "local";
    p.conversation_id = conversation_;
    p.message_id = stored[1].id;
    p.model = providers::ResolvedModel{std::move(provider), "m", "scripted/m"};
    return hub_->start(std::move(p));
  }
  // Runs the hub's loop (bounded) until `done`.
  template <class F>
  void run_until(F done) {
    for (int i = 0; i < 2000 && !done(); ++i) {
      io_.restart();
      io_.run_for(std::chrono::milliseconds(5));
    }
  }
  store::Message saved(const std::string& id) { return *sync(store_->get_message("local", id)); }

  testing::TempDir dir_;
  asio::io_context io_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<GenerationHub> hub_;
  std::string conversation_;
};

TEST_F(HubTest, SnapshotsWhileStreamingAndTheWholeAnswerAtTheEnd) {
  HubSettings s;
  s.persist_interval = std::chrono::milliseconds(10);
  make_hub(s);
  auto g = start(std::make_shared<ScriptedProvider>(60, std::chrono::milliseconds(3)));
  bool saw_partial = false;
  run_until([&] {
    if (!g->finished()) {
      auto m = saved(g->message_id());
      saw_partial =
          saw_partial || (!m.content.empty() && m.status == store::MessageStatus::streaming);
    }
    return g->finished();
  });
  ASSERT_TRUE(g->finished());
  EXPECT_TRUE(saw_partial) << "no snapshot was saved while the answer streamed";
  auto m = saved(g->message_id());
  EXPECT_EQ(m.status, store::MessageStatus::complete);
  EXPECT_EQ(m.content, g->text());
  EXPECT_EQ(m.delta_seq, 60);
  EXPECT_EQ(hub_->stats().deltas, 60U);
}

TEST_F(HubTest, APartialAnswerCutByAFailureIsSavedWordForWord) {
  HubSettings s;
  s.persist_interval = std::chrono::hours(1);  // no snapshot: the final state alone saves it
  make_hub(s);
  auto g = start(std::make_shared<ScriptedProvider>(10, std::chrono::milliseconds(1), 4));
  run_until([&] { return g->finished(); });
  ASSERT_TRUE(g->finished());
  auto m = saved(g->message_id());
  EXPECT_EQ(m.status, store::MessageStatus::error);
  EXPECT_EQ(m.content, "w0 w1 w2 w3 ");
  EXPECT_EQ(m.delta_seq, 4);
}

TEST_F(HubTest, EndedLogsLeaveAfterTheGracePeriodRunningOnesStay) {
  HubSettings s;
  s.log_grace = std::chrono::milliseconds(20);
  s.sweep_interval = std::chrono::milliseconds(5);
  make_hub(s);
  hub_->start_sweeper();
  auto quick = start(std::make_shared<ScriptedProvider>(2, std::chrono::milliseconds(1)));
  auto slow = start(std::make_shared<ScriptedProvider>(400, std::chrono::milliseconds(5)));
  const auto quick_id = quick->message_id();
  run_until([&] { return quick->finished(); });
  ASSERT_TRUE(quick->finished());
  EXPECT_EQ(hub_->find(quick_id), quick);  // inside its grace period
  quick.reset();
  run_until([&] { return hub_->find(quick_id) == nullptr; });
  EXPECT_EQ(hub_->find(quick_id), nullptr);
  EXPECT_EQ(hub_->find(slow->message_id()), slow);
  EXPECT_FALSE(slow->finished());
  slow->request_cancel(std::nullopt);
  run_until([&] { return slow->finished(); });
  EXPECT_EQ(saved(slow->message_id()).status, store::MessageStatus::cancelled);
}

}  // namespace
}  // namespace chatstream::generation
