// The pure parts of fake-upstream: controls, text generation, framing, provider frames.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "controls.hpp"
#include "dialect.hpp"
#include "json_text.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream {
namespace {

TEST(Controls, ModelNameEncoding) {
  Controls c;
  ASSERT_TRUE(apply_model_controls(c, "fake:tokens=50,delay_ms=10,fault=reset_after:5"));
  EXPECT_EQ(c.tokens, 50u);
  EXPECT_EQ(c.delay_ms, 10u);
  EXPECT_EQ(c.fault, Fault::reset);
  EXPECT_EQ(c.fault_after, 5u);
  Controls plain;
  EXPECT_TRUE(apply_model_controls(plain, "gpt-4o-mini"));
  EXPECT_EQ(plain.tokens, Controls{}.tokens);
}

TEST(Controls, HeadersAndQuery) {
  Controls c;
  EXPECT_TRUE(apply_header_control(c, "X-Fake-First-Token-Delay-Ms", "25"));
  EXPECT_TRUE(apply_header_control(c, "x-fake-status", "429"));
  EXPECT_TRUE(apply_header_control(c, "X-Fake", "jitter_ms=3,stall_after=2"));
  EXPECT_TRUE(apply_header_control(c, "Content-Type", "application/json"));
  EXPECT_TRUE(apply_query_controls(c, "tokens=7&trickle"));
  EXPECT_EQ(c.first_token_delay_ms, 25u);
  EXPECT_EQ(c.status, 429u);
  EXPECT_EQ(c.jitter_ms, 3u);
  EXPECT_EQ(c.fault, Fault::stall);
  EXPECT_EQ(c.tokens, 7u);
  EXPECT_TRUE(c.trickle);
}

TEST(Controls, Errors) {
  Controls c;
  EXPECT_FALSE(apply_model_controls(c, "fake:tokens=abc"));
  EXPECT_NE(c.error.find("tokens"), std::string::npos);
  Controls d;
  EXPECT_FALSE(apply_model_controls(d, "fake:nonsense=1"));
  Controls e;
  EXPECT_FALSE(apply_model_controls(e, "fake:fixture=../secret"));
  Controls f;
  EXPECT_FALSE(apply_model_controls(f, "fake:fault=explode:1"));
}

TEST(TextGen, DeterministicCompleteUtf8) {
  EXPECT_EQ(generated_text(3, 100), generated_text(3, 100));
  EXPECT_NE(generated_text(3, 100), generated_text(4, 100));
  const std::string t = generated_text(5, 500);
  EXPECT_EQ(count_words(t), 500u);
  // Every token is a whole UTF-8 sequence: validate with Boost.JSON's UTF-8 check.
  boost::system::error_code ec;
  boost::json::parse(json_string(t), ec);
  EXPECT_FALSE(ec);
  bool has4 = false;
  for (unsigned char ch : t) has4 |= ch >= 0xf0;
  EXPECT_TRUE(has4);
}

TEST(TextGen, JitterBounded) {
  for (std::size_t i = 0; i < 1000; ++i) EXPECT_LE(jitter_for(1, i, 7), 7u);
  EXPECT_EQ(jitter_for(1, 5, 0), 0u);
}

TEST(JsonText, EscapesLikeGoWhenAsked) {
  EXPECT_EQ(json_string("a\"b\\c\n\x01"), "\"a\\\"b\\\\c\\n\\u0001\"");
  EXPECT_EQ(json_string("R&D <x>", true), "\"R\\u0026D \\u003cx\\u003e\"");
  EXPECT_EQ(json_string("R&D", false), "\"R&D\"");
}

TEST(Framing, SplitFramesConcatenatesBack) {
  const std::string sse = ": c\r\n\r\ndata: a\r\n\r\nevent: x\ndata: b\n\ndata: c\r\rtail";
  auto frames = split_frames(sse, false);
  std::string joined;
  for (auto f : frames) joined += f;
  EXPECT_EQ(joined, sse);
  ASSERT_EQ(frames.size(), 5u);
  EXPECT_EQ(frames[1], "data: a\r\n\r\n");
  EXPECT_EQ(frames[2], "event: x\ndata: b\n\n");
  auto lines = split_frames("{\"a\":1}\n{\"b\":2}\n", true);
  ASSERT_EQ(lines.size(), 2u);
}

TEST(Frames, EveryGeneratedFrameIsValidJson) {
  for (Provider p : {Provider::openai, Provider::anthropic, Provider::ollama}) {
    StreamContext c;
    c.provider = p;
    c.model = "m\"x";
    c.id = "id";
    c.tokens = 3;
    c.include_usage = true;
    std::string all = stream_head(c);
    for (std::size_t i = 0; i < 3; ++i) append_stream_token(all, c, i);
    all += stream_tail(c, 3);
    std::size_t checked = 0;
    std::size_t start = 0;
    for (std::size_t nl = all.find('\n'); nl != std::string::npos; nl = all.find('\n', start)) {
      std::string line = all.substr(start, nl - start);
      start = nl + 1;
      if (line.rfind("data: ", 0) == 0) line = line.substr(6);
      if (line.empty() || line.rfind("event: ", 0) == 0 || line == "[DONE]") continue;
      boost::system::error_code ec;
      boost::json::parse(line, ec);
      EXPECT_FALSE(ec) << line;
      ++checked;
    }
    EXPECT_GE(checked, 4u);
    boost::system::error_code ec;
    boost::json::parse(complete_body(c), ec);
    EXPECT_FALSE(ec);
    boost::json::parse(stream_malformed(c).substr(p == Provider::ollama ? 0 : 6), ec);
    EXPECT_TRUE(ec);
  }
}

}  // namespace
}  // namespace chatstream::fake_upstream
