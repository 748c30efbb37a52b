#include "providers/simulated.hpp"

#include <gtest/gtest.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <string>
#include <vector>

namespace cp = chatstream::providers;
namespace asio = boost::asio;

namespace {

cp::ChatRequest ask(std::string q) {
  cp::ChatRequest r;
  r.model = "simulated";
  r.messages.push_back({"user", std::move(q), "", ""});
  return r;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += x;
  return s;
}

bool valid_utf8(const std::string& s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    std::size_t n = c < 0x80             ? 1
                    : (c & 0xE0) == 0xC0 ? 2
                    : (c & 0xF0) == 0xE0 ? 3
                    : (c & 0xF8) == 0xF0 ? 4
                                         : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80) return false;
    }
    i += n;
  }
  return true;
}

cp::SimulatedConfig fast() {
  cp::SimulatedConfig c;
  c.tokens_per_second = 0;
  c.first_token_delay = std::chrono::milliseconds(0);
  return c;
}

std::vector<cp::Event> run(cp::Provider& p, cp::ChatRequest req) {
  asio::io_context io;
  std::vector<cp::Event> events;
  asio::co_spawn(
      io, p.stream_chat(std::move(req), [&](cp::Event&& e) { events.push_back(std::move(e)); }),
      asio::detached);
  io.run();
  return events;
}

std::string text_of(const std::vector<cp::Event>& events) {
  std::string s;
  for (const auto& e : events) {
    if (const auto* t = std::get_if<cp::TextDelta>(&e)) s += t->text;
  }
  return s;
}

}  // namespace

TEST(SimulatedAnswers, DeterministicAndPromptDependent) {
  const auto a1 = cp::simulated::answer_for(ask("Explain how caching works"), 1);
  const auto a2 = cp::simulated::answer_for(ask("Explain how caching works"), 1);
  const auto b = cp::simulated::answer_for(ask("What is the best way to learn knitting?"), 1);
  EXPECT_EQ(a1, a2);
  EXPECT_NE(a1, b);
  EXPECT_NE(a1.find("Explain how caching works"), std::string::npos);  // echoes the question
  EXPECT_NE(a1, cp::simulated::answer_for(ask("Explain how caching works"), 2));
}

TEST(SimulatedAnswers, RecognisableRequests) {
  EXPECT_NE(cp::simulated::answer_for(ask("hello"), 0).find("simulated"), std::string::npos);
  const auto py = cp::simulated::answer_for(ask("Write a Python function to count words"), 0);
  EXPECT_NE(py.find("```python"), std::string::npos);
  const auto table = cp::simulated::answer_for(ask("make a table of fruits"), 0);
  EXPECT_NE(table.find("|---"), std::string::npos);
  const auto md = cp::simulated::answer_for(ask("show me markdown"), 0);
  for (const char* needle : {"# ", "- ", "| ", "```typescript", "```sql", "你好", "👩‍💻"}) {
    EXPECT_NE(md.find(needle), std::string::npos) << needle;
  }
  const auto long_answer = cp::simulated::answer_for(ask("give me a long answer"), 0);
  EXPECT_GT(cp::simulated::split_tokens(long_answer).size(), 1500U);
}

TEST(SimulatedAnswers, GeneralAnswersAreRich) {
  int with_code = 0;
  int with_cjk = 0;
  for (int i = 0; i < 20; ++i) {
    const auto a = cp::simulated::answer_for(ask("question number " + std::to_string(i)), 0);
    EXPECT_TRUE(valid_utf8(a));
    with_code += a.find("```") != std::string::npos ? 1 : 0;
    with_cjk += (a.find("千") != std::string::npos || a.find("七") != std::string::npos ||
                 a.find("학") != std::string::npos)
                    ? 1
                    : 0;
  }
  EXPECT_GT(with_code, 10);
  EXPECT_GT(with_cjk, 5);
}

TEST(SimulatedTokens, RoundTripAndNeverSplitUtf8) {
  const std::string text =
      "Hello, world! 你好世界 👨‍👩‍👧 👍🏽 ok\n\n```cpp\nint x = "
      "42;\n```\nsupercalifragilistic";
  const auto tokens = cp::simulated::split_tokens(text);
  EXPECT_EQ(join(tokens), text);
  for (const auto& t : tokens) {
    EXPECT_TRUE(valid_utf8(t)) << t;
    EXPECT_FALSE(t.empty());
    EXPECT_LE(t.size(), 40U);
  }
  EXPECT_GT(tokens.size(), 20U);
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), " world"), tokens.end());
  EXPECT_NE(std::find(tokens.begin(), tokens.end(), " 👨‍👩‍👧"),
            tokens.end());  // ZWJ sequence whole
  // Every answer round-trips and stays valid UTF-8 piece by piece.
  const auto md = cp::simulated::answer_for(ask("markdown"), 0);
  const auto md_tokens = cp::simulated::split_tokens(md);
  EXPECT_EQ(join(md_tokens), md);
  for (const auto& t : md_tokens) EXPECT_TRUE(valid_utf8(t));
}

TEST(SimulatedTokens, TruncatedInputStaysWhole) {
  const std::string broken = "abc\xE4\xBD";  // cut multibyte sequence at the end
  EXPECT_EQ(join(cp::simulated::split_tokens(broken)), broken);
}

TEST(SimulatedProvider, StreamsTextUsageAndFinish) {
  cp::SimulatedProvider p("simulated", fast());
  ASSERT_EQ(p.models().size(), 1U);
  EXPECT_TRUE(p.models()[0].simulated);
  EXPECT_EQ(p.models()[0].display_name, "Simulated (offline)");
  const auto req = ask("Tell me about rivers");
  const auto events = run(p, req);
  ASSERT_GE(events.size(), 3U);
  EXPECT_EQ(text_of(events), cp::simulated::answer_for(req, 0));
  const auto* usage = std::get_if<cp::Usage>(&events[events.size() - 2]);
  ASSERT_NE(usage, nullptr);
  EXPECT_EQ(usage->completion_tokens, static_cast<std::int64_t>(events.size() - 2));
  EXPECT_GT(usage->prompt_tokens, 3);
  const auto* fin = std::get_if<cp::Finish>(&events.back());
  ASSERT_NE(fin, nullptr);
  EXPECT_EQ(fin->reason, "stop");
}

TEST(SimulatedProvider, HonoursMaxTokens) {
  cp::SimulatedProvider p("simulated", fast());
  auto req = ask("Tell me about mountains");
  req.max_tokens = 5;
  const auto events = run(p, req);
  ASSERT_EQ(events.size(), 7U);
  EXPECT_EQ(std::get<cp::Usage>(events[5]).completion_tokens, 5);
  EXPECT_EQ(std::get<cp::Finish>(events[6]).reason, "length");
}

TEST(SimulatedProvider, CancellationEndsWithCancelledError) {
  cp::SimulatedConfig cfg;
  cfg.tokens_per_second = 50;
  cfg.first_token_delay = std::chrono::milliseconds(0);
  cp::SimulatedProvider p("simulated", cfg);
  asio::io_context io;
  asio::cancellation_signal signal;
  std::vector<cp::Event> events;
  bool finished = false;
  asio::co_spawn(
      io,
      p.stream_chat(ask("long essay please, long"),
                    [&](cp::Event&& e) {
                      events.push_back(std::move(e));
                      if (events.size() == 3) signal.emit(asio::cancellation_type::terminal);
                    }),
      asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr ep) { finished = !ep; }));
  io.run_for(std::chrono::seconds(10));
  ASSERT_TRUE(finished);
  ASSERT_GE(events.size(), 4U);
  const auto* err = std::get_if<cp::StreamError>(&events.back());
  ASSERT_NE(err, nullptr);
  EXPECT_EQ(err->kind, cp::ErrorKind::cancelled);
  EXPECT_LT(events.size(), 10U);
}
