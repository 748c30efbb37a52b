#include "generation/generation.hpp"

#include <gtest/gtest.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "generation/context.hpp"

namespace chatstream::generation {
namespace {

class LogTest : public ::testing::Test {
 protected:
  boost::asio::io_context ioc_;
  std::shared_ptr<Generation> g_ =
      std::make_shared<Generation>("m", "c", "u", boost::asio::make_strand(ioc_));
};

TEST_F(LogTest, CursorsReadEverythingPastThemOnce) {
  g_->append("Hel");
  g_->append("lo \"x\"\n");
  std::uint64_t cursor = 0;
  std::string out;
  EXPECT_TRUE(g_->read_frames(cursor, out));
  EXPECT_EQ(cursor, 2u);
  EXPECT_EQ(out,
            "event: delta\nid: 1\ndata: {\"text\":\"Hel\"}\n\n"
            "event: delta\nid: 2\ndata: {\"text\":\"lo \\\"x\\\"\\n\"}\n\n");
  out.clear();
  EXPECT_TRUE(g_->read_frames(cursor, out));
  EXPECT_TRUE(out.empty());
  g_->append("!");
  EXPECT_TRUE(g_->read_frames(cursor, out));
  EXPECT_EQ(out, "event: delta\nid: 3\ndata: {\"text\":\"!\"}\n\n");
}

TEST_F(LogTest, ResumeFromAnyPointAndTerminalFrame) {
  for (const char* t : {"a", "b", "c", "d"}) g_->append(t);
  Outcome o;
  o.status = store::MessageStatus::complete;
  o.finish_reason = "stop";
  o.last_seq = 4;
  g_->finish(o);
  std::uint64_t cursor = 2;
  std::string out;
  EXPECT_FALSE(g_->read_frames(cursor, out));
  EXPECT_EQ(out.find("id: 1\n"), std::string::npos);
  EXPECT_NE(out.find("id: 3\n"), std::string::npos);
  EXPECT_NE(out.find("event: done\ndata: {\"status\":\"complete\",\"last_seq\":4,"
                     "\"finish_reason\":\"stop\"}"),
            std::string::npos)
      << out;
  std::uint64_t ahead = 99;  // a client claiming more than exists gets just the end
  out.clear();
  EXPECT_FALSE(g_->read_frames(ahead, out));
  EXPECT_EQ(out.rfind("event: done", 0), 0u);
  g_->append("late");  // ignored once finished
  EXPECT_EQ(g_->last_seq(), 4u);
  EXPECT_EQ(g_->text(), "abcd");
  EXPECT_EQ(g_->text_up_to(2), "ab");
  EXPECT_EQ(g_->text_up_to(0), "");
  EXPECT_EQ(g_->text_up_to(10), "abcd");
}

TEST_F(LogTest, ErrorOutcomeIsAnErrorEvent) {
  Outcome o;
  o.status = store::MessageStatus::error;
  o.error_message = "Overloaded";
  o.error_code = "overloaded_error";
  auto frame = terminal_frame(o);
  EXPECT_EQ(frame.rfind("event: error\n", 0), 0u);
  EXPECT_NE(frame.find("\"message\":\"Overloaded\""), std::string::npos);
  EXPECT_NE(frame.find("\"code\":\"overloaded_error\""), std::string::npos);
}

TEST_F(LogTest, WakersAndWatchers) {
  int woken = 0;
  EXPECT_TRUE(g_->unwatched_since());
  auto token = g_->subscribe([&woken] { ++woken; });
  EXPECT_FALSE(g_->unwatched_since());
  EXPECT_EQ(g_->subscriber_count(), 1u);
  g_->append("x");
  g_->append("y");
  EXPECT_EQ(woken, 2);
  g_->unsubscribe(token);
  g_->append("z");
  EXPECT_EQ(woken, 2);
  EXPECT_TRUE(g_->unwatched_since());
}

TEST_F(LogTest, ObserversAreWokenButDoNotCountAsWatchers) {
  int seen = 0;
  auto observer = g_->subscribe([&seen] { ++seen; }, false);
  EXPECT_EQ(g_->subscriber_count(), 0u);
  EXPECT_TRUE(g_->unwatched_since());  // an observer does not keep it watched
  auto watcher = g_->subscribe([] {});
  EXPECT_EQ(g_->subscriber_count(), 1u);
  EXPECT_FALSE(g_->unwatched_since());
  g_->append("a");
  EXPECT_EQ(seen, 1);
  g_->unsubscribe(watcher);
  EXPECT_TRUE(g_->unwatched_since());
  EXPECT_EQ(g_->subscriber_count(), 0u);
  g_->append("b");
  EXPECT_EQ(seen, 2);
  g_->unsubscribe(observer);
  g_->append("c");
  EXPECT_EQ(seen, 2);
}

TEST_F(LogTest, ReadDeltasGivesEachDeltaAndMovesTheCursor) {
  g_->append("héllo");
  g_->append(" ");
  g_->append("wörld");
  std::uint64_t cursor = 0;
  std::vector<std::string> out;
  g_->read_deltas(cursor, out, 2);
  EXPECT_EQ(cursor, 2u);
  EXPECT_EQ(out, (std::vector<std::string>{"héllo", " "}));
  g_->read_deltas(cursor, out, 100);
  EXPECT_EQ(cursor, 3u);
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(out[2], "wörld");
  g_->read_deltas(cursor, out, 100);
  EXPECT_EQ(out.size(), 3u);
}

TEST_F(LogTest, InterruptedWithACodeAndRetryableAreErrorEvents) {
  Outcome lost;
  lost.status = store::MessageStatus::interrupted;
  lost.error_code = "owner_lost";
  lost.error_message = "gone";
  lost.last_seq = 7;
  auto frame = terminal_frame(lost);
  EXPECT_EQ(frame.rfind("event: error\n", 0), 0u) << frame;
  EXPECT_NE(frame.find("\"status\":\"interrupted\",\"last_seq\":7"), std::string::npos);
  EXPECT_NE(frame.find("\"code\":\"owner_lost\""), std::string::npos);
  EXPECT_EQ(frame.find("retryable"), std::string::npos);
  Outcome plain;  // a shutdown's interrupted answer stays a done event
  plain.status = store::MessageStatus::interrupted;
  EXPECT_EQ(terminal_frame(plain).rfind("event: done\n", 0), 0u);
  lost.retryable = true;
  EXPECT_NE(terminal_frame(lost).find("\"retryable\":true"), std::string::npos);
}

store::Message msg(store::Role role, std::string content) {
  store::Message m;
  m.role = role;
  m.content = std::move(content);
  return m;
}

TEST(Context, KeepsTheBranchInOrder) {
  std::vector<store::Message> branch = {msg(store::Role::user, "q1"),
                                        msg(store::Role::assistant, "a1"),
                                        msg(store::Role::user, "q2")};
  auto req = build_chat_request(branch, "Be brief.", 1000);
  EXPECT_EQ(req.system_prompt, "Be brief.");
  ASSERT_EQ(req.messages.size(), 3u);
  EXPECT_EQ(req.messages[1].role, "assistant");
  EXPECT_EQ(req.messages[2].content, "q2");
}

TEST(Context, DropsOldestTurnsBeyondTheBudgetButNeverTheLast) {
  std::vector<store::Message> branch = {msg(store::Role::user, std::string(100, 'a')),
                                        msg(store::Role::assistant, std::string(100, 'b')),
                                        msg(store::Role::user, std::string(100, 'c')),
                                        msg(store::Role::assistant, std::string(100, 'd')),
                                        msg(store::Role::user, std::string(50, 'e'))};
  std::size_t dropped = 0;
  auto req = build_chat_request(branch, "sys", 260, &dropped);
  ASSERT_EQ(req.messages.size(), 3u);
  EXPECT_EQ(dropped, 2u);
  EXPECT_EQ(req.messages.front().role, "user");
  EXPECT_EQ(req.messages.front().content[0], 'c');
  auto tiny = build_chat_request(branch, "sys", 1);
  ASSERT_EQ(tiny.messages.size(), 1u);
  EXPECT_EQ(tiny.messages[0].content[0], 'e');
  EXPECT_EQ(tiny.system_prompt, "sys");
}

TEST(Context, SkipsEmptyAnswers) {
  std::vector<store::Message> branch = {
      msg(store::Role::user, "q1"), msg(store::Role::assistant, ""), msg(store::Role::user, "q2")};
  EXPECT_EQ(build_chat_request(branch, "", 1000).messages.size(), 2u);
}

TEST(Title, FromFirstLineCutAtAWord) {
  EXPECT_EQ(title_from_message("  Hello   world \nsecond line"), "Hello world");
  EXPECT_EQ(title_from_message(""), "New chat");
  auto t = title_from_message(
      "How do I write a streaming server in C++ with Boost Beast and coroutines today", 40);
  EXPECT_EQ(t, "How do I write a streaming server in C++…");
  auto cjk = title_from_message("日本語のタイトルをここに書きますとても長いので切られます", 10);
  EXPECT_EQ(cjk, "日本語のタイトルをこ…");
}

}  // namespace
}  // namespace chatstream::generation
