// The OpenAI chat decoder reads the common chunk shape without a JSON tree; every chunk must
// decode exactly as the full parse would (escapes, other members, bad UTF-8 and malformed
// chunks go to the full parse).
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "providers/dialect/decoder.hpp"

namespace cp = chatstream::providers;
namespace dialect = chatstream::providers::dialect;

namespace {

std::vector<cp::Event> decode(const std::string& data) {
  auto decoder = dialect::make_decoder(dialect::Dialect::openai_chat);
  std::vector<cp::Event> events;
  decoder->feed("data: " + data + "\n\n", events);
  return events;
}

std::string chunk(const std::string& delta, const std::string& extra = "") {
  return R"({"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,)"
         R"("model":"m",)" +
         extra + R"("choices":[{"index":0,"delta":)" + delta +
         R"(,"logprobs":null,"finish_reason":null}]})";
}

std::string text_of(const std::vector<cp::Event>& events) {
  EXPECT_EQ(events.size(), 1U);
  if (events.size() != 1) return "";
  const auto* text = std::get_if<cp::TextDelta>(&events[0]);
  EXPECT_NE(text, nullptr);
  return text != nullptr ? text->text : "";
}

bool is_error(const std::vector<cp::Event>& events) {
  return events.size() == 1 && std::holds_alternative<cp::StreamError>(events[0]);
}

}  // namespace

TEST(OpenAiChunk, CommonShape) {
  EXPECT_EQ(text_of(decode(chunk(R"({"content":"Hello"})"))), "Hello");
  EXPECT_EQ(text_of(decode(chunk(R"({"role":"assistant","content":" world"})"))), " world");
  EXPECT_EQ(text_of(decode(chunk(R"( { "content" : "x" } )", R"("usage":null,"n":-1.5e+3,)"
                                                             R"("t":true,"f":false,"s":"a\"b",)"))),
            "x");
  EXPECT_TRUE(decode(chunk(R"({"role":"assistant","content":""})")).empty());
  EXPECT_TRUE(decode(chunk(R"({"role":"assistant"})")).empty());
}

TEST(OpenAiChunk, Utf8) {
  EXPECT_EQ(text_of(decode(chunk("{\"content\":\"h\xC3\xA9 \xE4\xB8\x96 \xF0\x9F\x98\x80\"}"))),
            "h\xC3\xA9 \xE4\xB8\x96 \xF0\x9F\x98\x80");
  EXPECT_TRUE(is_error(decode(chunk("{\"content\":\"\xC3\"}"))));          // truncated
  EXPECT_TRUE(is_error(decode(chunk("{\"content\":\"\xED\xA0\x80\"}"))));  // surrogate
  EXPECT_TRUE(is_error(decode(chunk("{\"content\":\"\xC0\xAF\"}"))));      // overlong
}

TEST(OpenAiChunk, OtherShapesAsTheFullParse) {
  EXPECT_EQ(text_of(decode(chunk(R"({"content":"a\nb\u00e9"})"))), "a\nb\xC3\xA9");
  const auto reasoning = decode(chunk(R"({"content":null,"reasoning_content":"hm"})"));
  ASSERT_EQ(reasoning.size(), 1U);
  EXPECT_EQ(std::get<cp::ReasoningDelta>(reasoning[0]).text, "hm");
  const auto finish = decode(
      R"({"choices":[{"index":0,"delta":{},"finish_reason":"stop"}],"usage":{"prompt_tokens":2,"completion_tokens":3}})");
  ASSERT_EQ(finish.size(), 2U);
  EXPECT_EQ(std::get<cp::Finish>(finish[0]).reason, "stop");
  EXPECT_EQ(std::get<cp::Usage>(finish[1]).completion_tokens, 3);
  EXPECT_TRUE(decode(R"({"choices":[{"index":1,"delta":{"content":"other"}}]})").empty());
  EXPECT_EQ(text_of(decode(R"({"choices":[{"index":0,"delta":{"content":"x"}}],"id":"1"})")), "x");
}

TEST(OpenAiChunk, MalformedIsAProtocolError) {
  EXPECT_TRUE(is_error(decode(R"({"choices":[{"index":0,"delta":{"content":"x"}}])")));
  EXPECT_TRUE(is_error(decode(R"({"choices":[{"index":0,"delta":{"content":"x"}}]} x)")));
  EXPECT_TRUE(is_error(decode(R"({"created":01,"choices":[]})")));
  EXPECT_TRUE(is_error(decode("{\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\x01\"}}]}")));
}

// Strings are scanned eight bytes at a time: a byte that needs a look must be found at every
// offset, in the content and in another member.
TEST(OpenAiChunk, SpecialBytesAtEveryOffset) {
  for (std::size_t k = 0; k < 40; ++k) {
    SCOPED_TRACE(k);
    const std::string a(k, 'a');
    const std::string b(9, 'b');
    const auto content = [](const std::string& text) { return "{\"content\":\"" + text + "\"}"; };
    EXPECT_EQ(text_of(decode(chunk(content(a + b)))), a + b);
    EXPECT_EQ(text_of(decode(chunk(content(a + "\x7F" + b)))), a + "\x7F" + b);
    EXPECT_EQ(text_of(decode(chunk(content(a + "\xC3\xA9" + b)))), a + "\xC3\xA9" + b);
    EXPECT_EQ(text_of(decode(chunk(content(a + "\\\"" + b)))), a + "\"" + b);
    EXPECT_EQ(text_of(decode(chunk(content(a + "\\n" + b)))), a + "\n" + b);
    EXPECT_TRUE(is_error(decode(chunk(content(a + "\x01" + b)))));
    EXPECT_TRUE(is_error(decode(chunk(content(a + "\x1F" + b)))));
    EXPECT_TRUE(is_error(decode(chunk(content(a + "\xC3" + b)))));
    EXPECT_TRUE(is_error(decode(chunk(content(a + "\xFF" + b)))));
    EXPECT_TRUE(is_error(decode(chunk(content(a + "\"" + b)))));  // ends the string early
    const std::string word = R"({"content":"x"})";
    EXPECT_EQ(text_of(decode(chunk(word, "\"s\":\"" + a + "\\u00e9" + b + "\","))), "x");
    EXPECT_EQ(text_of(decode(chunk(word, "\"s\":\"" + a + "\xE4\xB8\x96" + b + "\","))), "x");
    EXPECT_TRUE(is_error(decode(chunk(word, "\"s\":\"" + a + "\t" + b + "\","))));
    EXPECT_TRUE(is_error(decode(chunk(word, "\"s\":\"" + a + "\xED\xA0\x80" + b + "\","))));
  }
}

// The first chunk (role, empty content, refusal null) and the last (empty delta, a finish
// reason) decode as the full parse would.
TEST(OpenAiChunk, FirstAndLastChunks) {
  EXPECT_TRUE(decode(chunk(R"({"role":"assistant","content":"","refusal":null})")).empty());
  EXPECT_TRUE(decode(chunk(R"({"content":null})")).empty());
  EXPECT_EQ(text_of(decode(chunk(R"({"content":"x","refusal":null})"))), "x");
  const auto finish_of = [](const std::string& delta, const std::string& reason) {
    return R"({"id":"c","object":"chat.completion.chunk","created":1,"model":"m",)"
           R"("choices":[{"index":0,"delta":)" +
           delta + R"(,"logprobs":null,"finish_reason":)" + reason + "}]}";
  };
  for (const auto& [reason, expected] :
       std::vector<std::pair<std::string, std::string>>{{R"("stop")", "stop"},
                                                        {R"("length")", "length"},
                                                        {R"("function_call")", "tool_calls"},
                                                        {R"("")", ""},
                                                        {R"("st\u006fp")", "stop"}}) {
    SCOPED_TRACE(reason);
    const auto events = decode(finish_of("{}", reason));
    ASSERT_EQ(events.size(), 1U);
    const auto* finish = std::get_if<cp::Finish>(&events[0]);
    ASSERT_NE(finish, nullptr);
    EXPECT_EQ(finish->reason, expected);
  }
  const auto both = decode(finish_of(R"({"content":"end"})", R"("stop")"));
  ASSERT_EQ(both.size(), 2U);
  EXPECT_EQ(std::get<cp::TextDelta>(both[0]).text, "end");
  EXPECT_EQ(std::get<cp::Finish>(both[1]).raw, "stop");
  EXPECT_TRUE(is_error(decode(finish_of("{}", "\"st\x01p\""))));
  EXPECT_TRUE(is_error(decode(finish_of("{}", "stop"))));  // not a JSON string
  const auto refusal = decode(chunk(R"({"refusal":"I can't"})"));
  ASSERT_EQ(refusal.size(), 1U);
  EXPECT_EQ(std::get<cp::TextDelta>(refusal[0]).text, "I can't");
}
