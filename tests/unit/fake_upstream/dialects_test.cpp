// Each provider's stream shape, token counts and usage, over real sockets.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "harness.hpp"

namespace fake_test {
namespace {

namespace json = boost::json;

class Dialects : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fake_ = new FakeProcess(); }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }
  unsigned short port() const { return fake_->port(); }
  static inline FakeProcess* fake_ = nullptr;
};

const Headers kAnthropicHeaders{{"x-api-key", "sk-ant-test"}, {"anthropic-version", "2023-06-01"}};

TEST_F(Dialects, OpenAiStreamShapeUsageAndDone) {
  Client c(port());
  auto r =
      c.post("/v1/chat/completions", chat_body("fake:tokens=7", true, "three words here", true));
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["content-type"], "text/event-stream; charset=utf-8");
  EXPECT_EQ(r.headers["transfer-encoding"], "chunked");
  auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 1u + 7u + 1u + 1u + 1u);  // role, tokens, finish, usage, [DONE]
  EXPECT_EQ(events.back().data, "[DONE]");
  auto first = json::parse(events[0].data);
  EXPECT_EQ(first.at("object"), "chat.completion.chunk");
  EXPECT_EQ(first.at("choices").at(0).at("delta").at("role"), "assistant");
  std::string text;
  for (std::size_t i = 1; i <= 7; ++i) {
    auto v = json::parse(events[i].data);
    EXPECT_TRUE(v.at("choices").at(0).at("finish_reason").is_null());
    text += v.at("choices").at(0).at("delta").at("content").as_string();
  }
  EXPECT_FALSE(text.empty());
  auto finish = json::parse(events[8].data);
  EXPECT_EQ(finish.at("choices").at(0).at("finish_reason"), "stop");
  auto usage = json::parse(events[9].data);
  EXPECT_TRUE(usage.at("choices").as_array().empty());
  EXPECT_EQ(usage.at("usage").at("completion_tokens"), 7);
  EXPECT_EQ(usage.at("usage").at("prompt_tokens"), 3);
  EXPECT_EQ(usage.at("usage").at("total_tokens"), 10);
}

TEST_F(Dialects, OpenAiWithoutIncludeUsageHasNoUsageChunk) {
  Client c(port());
  auto r = c.post("/v1/chat/completions", chat_body("m", true), {{"X-Fake-Tokens", "3"}});
  auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 1u + 3u + 1u + 1u);
  for (const auto& e : events) EXPECT_EQ(e.data.find("\"usage\""), std::string::npos);
}

TEST_F(Dialects, GeneratedTextIsDeterministicPerSeedAndValidJson) {
  Client c(port());
  auto a = c.post("/v1/chat/completions", chat_body("fake:tokens=40,seed=9", false));
  auto b = c.post("/v1/chat/completions", chat_body("fake:tokens=40,seed=9", false));
  auto d = c.post("/v1/chat/completions", chat_body("fake:tokens=40,seed=10", false));
  auto ta = json::parse(a.body).at("choices").at(0).at("message").at("content").as_string();
  auto tb = json::parse(b.body).at("choices").at(0).at("message").at("content").as_string();
  auto td = json::parse(d.body).at("choices").at(0).at("message").at("content").as_string();
  EXPECT_EQ(ta, tb);
  EXPECT_NE(ta, td);
  bool multibyte = false;
  for (unsigned char ch : std::string(ta)) multibyte |= ch >= 0x80;
  EXPECT_TRUE(multibyte);
}

TEST_F(Dialects, OpenAiNonStreamingCompletion) {
  Client c(port());
  auto r = c.post("/v1/chat/completions", chat_body("fake:tokens=5", false, "a b"));
  ASSERT_EQ(r.status, 200u);
  EXPECT_EQ(r.headers["content-type"], "application/json");
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("object"), "chat.completion");
  EXPECT_EQ(v.at("choices").at(0).at("finish_reason"), "stop");
  EXPECT_EQ(v.at("usage").at("completion_tokens"), 5);
  EXPECT_EQ(v.at("usage").at("prompt_tokens"), 2);
}

TEST_F(Dialects, AnthropicStreamEventOrder) {
  Client c(port());
  auto r = c.post("/v1/messages", chat_body("fake:tokens=4", true, "one two three four five"),
                  kAnthropicHeaders);
  ASSERT_TRUE(r.complete()) << r.error;
  ASSERT_EQ(r.status, 200u);
  EXPECT_FALSE(r.headers["request-id"].empty());
  auto events = parse_sse(r.body);
  std::vector<std::string> names;
  for (const auto& e : events) {
    names.push_back(e.event);
    EXPECT_EQ(json::parse(e.data).at("type").as_string(), e.event);  // event name equals data.type
  }
  const std::vector<std::string> expected{
      "message_start",       "content_block_start", "ping",
      "content_block_delta", "content_block_delta", "content_block_delta",
      "content_block_delta", "content_block_stop",  "message_delta",
      "message_stop"};
  EXPECT_EQ(names, expected);
  auto start = json::parse(events[0].data);
  EXPECT_EQ(start.at("message").at("usage").at("input_tokens"), 5);
  auto delta = json::parse(events[8].data);
  EXPECT_EQ(delta.at("delta").at("stop_reason"), "end_turn");
  EXPECT_EQ(delta.at("usage").at("output_tokens"), 4);
  EXPECT_EQ(json::parse(events[3].data).at("delta").at("type"), "text_delta");
}

TEST_F(Dialects, AnthropicRequiresKeyAndVersion) {
  Client c(port());
  auto no_key = c.post("/v1/messages", chat_body("m", true), {{"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(no_key.status, 401u);
  EXPECT_EQ(json::parse(no_key.body).at("error").at("type"), "authentication_error");
  auto no_version = c.post("/v1/messages", chat_body("m", true), {{"x-api-key", "k"}});
  EXPECT_EQ(no_version.status, 400u);
  EXPECT_EQ(json::parse(no_version.body).at("error").at("type"), "invalid_request_error");
}

TEST_F(Dialects, AnthropicNonStreamingMessage) {
  Client c(port());
  auto r = c.post("/v1/messages", chat_body("fake:tokens=3", false), kAnthropicHeaders);
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("type"), "message");
  EXPECT_EQ(v.at("content").at(0).at("type"), "text");
  EXPECT_EQ(v.at("usage").at("output_tokens"), 3);
}

TEST_F(Dialects, OllamaStreamsNdjsonByDefault) {
  Client c(port());
  auto r = c.post("/api/chat",
                  R"({"model":"fake:tokens=6","messages":[{"role":"user","content":"x y"}]})");
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.headers["content-type"], "application/x-ndjson");
  auto lines = split_lines(r.body);
  ASSERT_EQ(lines.size(), 7u);
  for (std::size_t i = 0; i < 6; ++i) {
    auto v = json::parse(lines[i]);
    EXPECT_EQ(v.at("done"), false);
    EXPECT_EQ(v.at("message").at("role"), "assistant");
  }
  auto last = json::parse(lines[6]);
  EXPECT_EQ(last.at("done"), true);
  EXPECT_EQ(last.at("done_reason"), "stop");
  EXPECT_EQ(last.at("eval_count"), 6);
  EXPECT_EQ(last.at("prompt_eval_count"), 2);
  EXPECT_TRUE(last.at("total_duration").is_int64());
}

TEST_F(Dialects, OllamaNonStreaming) {
  Client c(port());
  auto r = c.post("/api/chat", chat_body("fake:tokens=2", false));
  auto v = json::parse(r.body);
  EXPECT_EQ(v.at("done"), true);
  EXPECT_EQ(v.at("eval_count"), 2);
}

TEST_F(Dialects, ModelLists) {
  Client c(port());
  auto openai = json::parse(c.request("GET", "/v1/models").body);
  EXPECT_EQ(openai.at("object"), "list");
  auto anthropic =
      json::parse(c.request("GET", "/v1/models", {}, {{"anthropic-version", "2023-06-01"}}).body);
  EXPECT_EQ(anthropic.at("data").at(0).at("type"), "model");
  auto tags = json::parse(c.request("GET", "/api/tags").body);
  EXPECT_FALSE(tags.at("models").as_array().empty());
}

TEST_F(Dialects, PlainSseEndpoint) {
  Client c(port());
  auto r = c.request("GET", "/sse?tokens=25&delay_ms=1");
  ASSERT_TRUE(r.complete()) << r.error;
  auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 26u);
  EXPECT_EQ(json::parse(events[24].data).at("index"), 24);
  EXPECT_EQ(events.back().event, "done");
  EXPECT_EQ(json::parse(events.back().data).at("tokens"), 25);
}

TEST_F(Dialects, UnknownPathAndBadControlAreErrors) {
  Client c(port());
  EXPECT_EQ(c.request("GET", "/v1/nothing").status, 404u);
  auto bad = c.post("/v1/chat/completions", chat_body("fake:tokenz=3", true));
  EXPECT_EQ(bad.status, 400u);
  EXPECT_NE(bad.body.find("tokenz"), std::string::npos);
  EXPECT_EQ(c.request("GET", "/v1/chat/completions").status, 405u);
}

TEST_F(Dialects, Http10PeerGetsCloseDelimitedStream) {
  Client c(port());
  const std::string body = chat_body("fake:tokens=2", true);
  c.send_raw("POST /v1/chat/completions HTTP/1.0\r\nContent-Length: " +
             std::to_string(body.size()) + "\r\n\r\n" + body);
  std::string error;
  const std::string raw = c.read_to_end(error);
  EXPECT_EQ(error, "");
  EXPECT_EQ(raw.find("transfer-encoding"), std::string::npos);
  EXPECT_NE(raw.find("connection: close"), std::string::npos);
  EXPECT_NE(raw.find("data: [DONE]\n\n"), std::string::npos);
}

}  // namespace
}  // namespace fake_test
