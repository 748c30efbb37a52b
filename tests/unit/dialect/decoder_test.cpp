// Decoder behaviour beyond the fixtures: reasoning, tool calls, errors, limits.
#include <gtest/gtest.h>

#include "support.hpp"

namespace chatstream::providers::dialect::test {
namespace {

using Lines = std::vector<std::string>;

// Decodes whole and one byte at a time; both must agree.
Lines decode(Dialect d, std::string_view body) {
  Lines whole = describe(decode_stream(d, body));
  EXPECT_EQ(describe(decode_stream(d, body, 1)), whole);
  return whole;
}

std::string chat_chunk(std::string_view delta, std::string_view finish = "null") {
  return "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":" + std::string(delta) +
         ",\"finish_reason\":" + std::string(finish) + "}]}\n\n";
}

TEST(OpenAiChat, ReasoningContentNullContentAndUnknownFields) {
  const std::string body = chat_chunk(R"({"role":"assistant","content":null})") +
                           chat_chunk(R"({"reasoning_content":"think","content":null})") +
                           chat_chunk(R"({"reasoning":"more"})") +
                           chat_chunk(R"({"content":"Hi","x_new":{"a":[1]}})") +
                           chat_chunk("{}", "\"length\"") + ": ping\n\n" + "data: [DONE]\n\n";
  EXPECT_EQ(decode(Dialect::openai_chat, body),
            (Lines{"reasoning:think", "reasoning:more", "text:Hi", "finish:length|length"}));
}

// Chunks after the first content chunk are read against its frame (the bytes around the
// content). Whatever sits where the content was, a stream decodes to what each of its chunks
// decodes to on its own (no frame yet), up to the first error.
TEST(OpenAiChat, ChunksReadAgainstTheFrameMeanWhatTheyMeanAlone) {
  const std::string head =
      R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1,"model":"m",)"
      R"("choices":[{"index":0,"delta":{"content":")";
  const std::string tail = R"("},"logprobs":null,"finish_reason":null}]})"
                           "\n\n";
  // Mostly text the frame takes, sometimes what it must leave to the full parse.
  const std::vector<std::string> good = {
      "a", " word", "", "\xC3\xA9", "\xE2\x82\xAC", "\xF0\x9F\x99\x82", "\\n", "\\u00e9", "\\\""};
  const std::vector<std::string> bad = {"\"",
                                        "\\",
                                        "\t",
                                        "\x01",
                                        "\xFF",
                                        "\xC3",
                                        "\xE2\x82",
                                        "\xED\xA0\x80",
                                        "\xC0\xAF",
                                        R"("},"x":")",
                                        R"(","refusal":")",
                                        R"("},"finish_reason":"stop"}]}  )",
                                        "}",
                                        "{"};
  const std::string done = "data: [DONE]\n\n";
  unsigned state = 12345;
  const auto next = [&state] {
    state = state * 1103515245u + 12345u;
    return (state >> 16) & 0x7fff;
  };
  int framed = 0;
  for (int round = 0; round < 300; ++round) {
    std::vector<std::string> chunks = {head + "Hello" + tail};  // learns the frame
    for (int i = 0; i < 4; ++i) {
      std::string content;
      const unsigned n = next() % 4;
      for (unsigned j = 0; j < n; ++j) {
        content += next() % 10 == 0 ? bad[next() % bad.size()] : good[next() % good.size()];
      }
      chunks.push_back(head + content + tail);
    }
    std::string stream;
    Lines alone;
    bool failed = false;
    for (const std::string& chunk : chunks) {
      stream += chunk;
      if (failed) continue;
      for (const std::string& line : describe(decode_stream(Dialect::openai_chat, chunk + done))) {
        alone.push_back(line);
        failed = failed || line.rfind("error:", 0) == 0;
      }
    }
    stream += done;
    const Lines together = decode(Dialect::openai_chat, stream);
    ASSERT_EQ(together, alone) << "round " << round;
    framed += failed ? 0 : 1;
  }
  EXPECT_GT(framed, 50);  // plenty of rounds ran through the frame to the end
}

// A change anywhere outside the content (a new id, another member, a finish reason) is not the
// frame: such a chunk is read in full.
TEST(OpenAiChat, AChunkOutsideTheFrameIsReadInFull) {
  const std::string body =
      chat_chunk(R"({"content":"one"})") + chat_chunk(R"({"content":"two"})") +
      "data: {\"id\":\"d\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"three\"},"
      "\"finish_reason\":null}]}\n\n" +
      chat_chunk(R"({"content":"four","refusal":null})") +
      chat_chunk(R"({"reasoning_content":"five"})") + chat_chunk(R"({"content":"six"})") +
      chat_chunk(R"({"content":"sev"})", "\"ab\"") +  // as long as the frame's `null`
      "data: [DONE]\n\n";
  EXPECT_EQ(decode(Dialect::openai_chat, body),
            (Lines{"text:one", "text:two", "text:three", "text:four", "reasoning:five", "text:six",
                   "text:sev", "finish:ab|ab"}));
}

// The usage chunk is read by the scan when its counts are plain integers; whatever it holds,
// it decodes as the full parse decodes it (reached here through an escape in the id).
TEST(OpenAiChat, UsageChunksMeanWhatTheFullParseReads) {
  const std::vector<std::string> usages = {
      R"({"prompt_tokens":9,"completion_tokens":12,"total_tokens":21,"prompt_tokens_details":{"cached_tokens":3,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":5,"audio_tokens":0,"accepted_prediction_tokens":0,"rejected_prediction_tokens":0}})",
      R"({"prompt_tokens":1,"completion_tokens":2,"prompt_tokens_details":null,"completion_tokens_details":null})",
      R"({"prompt_tokens":null,"completion_tokens":0,"x":7})",
      R"({})",
      R"( { "prompt_tokens" : 4 , "completion_tokens" : 5 } )",
      R"({"prompt_tokens":123456789012345678,"completion_tokens":1234567890123456789})",
      R"({"prompt_tokens":18446744073709551615,"completion_tokens":3e80})",
      R"({"prompt_tokens":18446744073709551615,"completion_tokens":2})",
      R"({"prompt_tokens":99999999999999999999999,"completion_tokens":2})",
      R"({"prompt_tokens":1.5,"completion_tokens":1e3})",
      R"({"prompt_tokens":-1,"completion_tokens":2})",
      R"({"prompt_tokens":007,"completion_tokens":2})",
      R"({"prompt_tokens":1,"prompt_tokens":2})",
      R"({"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":1,"cached_tokens":2}})",
      R"({"prompt_tokens":"1","completion_tokens":2})",
      R"({"prompt_tokens":1,"prompt_tokens_details":{"cached_tokens":{"a":1}}})",
      R"({"prompt_tokens":1,"completion_tokens_details":[1]})",
      R"(null)",
  };
  const auto chunk = [](std::string_view id, std::string_view choices, std::string_view usage) {
    return "data: {\"id\":\"" + std::string(id) + "\",\"choices\":" + std::string(choices) +
           ",\"usage\":" + std::string(usage) + "}\n\ndata: [DONE]\n\n";
  };
  for (const std::string& usage : usages) {
    for (const std::string_view choices :
         {std::string_view("[]"), std::string_view("[ ]"),
          std::string_view(R"([{"index":0,"delta":{},"finish_reason":"stop"}])")}) {
      EXPECT_EQ(decode(Dialect::openai_chat, chunk("c", choices, usage)),
                decode(Dialect::openai_chat, chunk("\\u0063", choices, usage)))
          << choices << " " << usage;
    }
  }
  EXPECT_EQ(decode(Dialect::openai_chat, chunk("c", "[]", usages[0])), (Lines{"usage:9/12/3/5"}));
}

TEST(OpenAiChat, RefusalIsVisibleText) {
  const std::string body =
      chat_chunk(R"({"refusal":"I can't"})") + chat_chunk("{}", "\"stop\"") + "data: [DONE]\n\n";
  EXPECT_EQ(decode(Dialect::openai_chat, body), (Lines{"text:I can't", "finish:stop|stop"}));
}

TEST(OpenAiChat, UsageInFinishChunkAndOtherChoicesIgnored) {
  const std::string body =
      R"(data: {"choices":[{"index":1,"delta":{"content":"other"}},{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":1}})"
      "\n\ndata: [DONE]\n\n";
  EXPECT_EQ(decode(Dialect::openai_chat, body),
            (Lines{"text:a", "finish:stop|stop", "usage:3/1/-/-"}));
}

TEST(OpenAiChat, OutOfRangeNumbersAreNotCounts) {
  // Found by fuzzing: a count beyond int64 (or a huge double) must not be converted blindly.
  const std::string body =
      R"(data: {"choices":[{"index":0,"delta":{"content":"a"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3e80,"completion_tokens":18446744073709551615}})"
      "\n\ndata: [DONE]\n\n";
  EXPECT_EQ(decode(Dialect::openai_chat, body),
            (Lines{"text:a", "finish:stop|stop", "usage:0/0/-/-"}));
}

TEST(OpenAiChat, EventErrorAndStringError) {
  EXPECT_EQ(decode(Dialect::openai_chat,
                   "event: error\ndata: {\"message\":\"boom\",\"type\":\"server_error\"}\n\n"),
            (Lines{"error:upstream|server_error||0|retry|boom"}));
  EXPECT_EQ(decode(Dialect::openai_chat, "data: {\"error\":\"bad thing\"}\n\n"),
            (Lines{"error:upstream|||0|final|bad thing"}));
  EXPECT_EQ(
      decode(Dialect::openai_chat,
             "data: {\"error\":{\"message\":\"m\",\"type\":\"invalid_request_error\",\"code\":400}}"
             "\n\n"),
      (Lines{"error:upstream|invalid_request_error|400|0|final|m"}));
}

TEST(OpenAiChat, MalformedJsonIsProtocolError) {
  const Lines got =
      decode(Dialect::openai_chat, chat_chunk(R"({"content":"a"})") + "data: {not json\n\n" +
                                       chat_chunk(R"({"content":"b"})"));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0], "text:a");
  EXPECT_EQ(got[1].rfind("error:protocol|", 0), 0u) << got[1];
}

TEST(OpenAiChat, MissingDoneIsTruncatedAndBytesAfterDoneIgnored) {
  const Lines got = decode(Dialect::openai_chat, chat_chunk("{}", "\"stop\""));
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].rfind("error:truncated|", 0), 0u) << got[1];
  EXPECT_EQ(decode(Dialect::openai_chat, "data: [DONE]\n\n" + chat_chunk(R"({"content":"x"})")),
            Lines{});
}

TEST(OpenAiChat, EventLargerThanLimitIsProtocolError) {
  auto decoder = make_decoder(Dialect::openai_chat, 64);
  std::vector<Event> out;
  decoder->feed(chat_chunk(R"({"content":")" + std::string(100, 'x') + "\"}"), out);
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(describe(out[0]).rfind("error:protocol|", 0), 0u);
  EXPECT_TRUE(decoder->done());
  decoder->finish(out);
  EXPECT_EQ(out.size(), 1u);
}

TEST(OpenAiResponses, FunctionCallsReasoningAndIncomplete) {
  const std::string body =
      "event: response.reasoning_summary_text.delta\n"
      R"(data: {"type":"response.reasoning_summary_text.delta","delta":"hmm"})"
      "\n\n"
      "event: response.output_item.added\n"
      R"(data: {"type":"response.output_item.added","output_index":1,"item":{"type":"function_call","id":"fc_1","call_id":"call_1","name":"f","arguments":""}})"
      "\n\n"
      R"(data: {"type":"response.function_call_arguments.delta","output_index":1,"delta":"{\"a\":"})"
      "\n\n"
      R"(data: {"type":"response.function_call_arguments.delta","output_index":1,"delta":"1}"})"
      "\n\n"
      R"(data: {"type":"response.incomplete","response":{"incomplete_details":{"reason":"max_output_tokens"},"usage":{"input_tokens":5,"output_tokens":7}}})"
      "\n\n";
  EXPECT_EQ(decode(Dialect::openai_responses, body),
            (Lines{"reasoning:hmm", "tool:0|call_1|f|", "tool:0|||{\"a\":", "tool:0|||1}",
                   "finish:length|max_output_tokens", "usage:5/7/-/-"}));
}

TEST(OpenAiResponses, FailedAndErrorEvents) {
  EXPECT_EQ(
      decode(
          Dialect::openai_responses,
          R"(data: {"type":"response.failed","response":{"error":{"code":"server_error","message":"oops"}}})"
          "\n\n"),
      (Lines{"error:upstream|server_error|server_error|0|retry|oops"}));
  EXPECT_EQ(
      decode(
          Dialect::openai_responses,
          "event: error\n"
          R"(data: {"type":"error","code":"rate_limit_exceeded","message":"slow down","param":null,"sequence_number":3})"
          "\n\n"),
      (Lines{"error:upstream|rate_limit_exceeded|rate_limit_exceeded|0|retry|slow down"}));
}

TEST(Anthropic, ThinkingAndShortErrorForm) {
  const std::string body =
      "event: message_start\n"
      R"(data: {"type":"message_start","message":{"usage":{"input_tokens":10,"cache_creation_input_tokens":2,"cache_read_input_tokens":5,"output_tokens":1}}})"
      "\n\n"
      R"(data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking","thinking":""}})"
      "\n\n"
      R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"thinking_delta","thinking":"Let me"}})"
      "\n\n"
      R"(data: {"type":"content_block_delta","index":0,"delta":{"type":"signature_delta","signature":"abc"}})"
      "\n\n"
      "event: error\n"
      R"(data: {"type":"error","error":{"type":"api_error","message":"Internal"}})"
      "\n\n";
  EXPECT_EQ(
      decode(Dialect::anthropic, body),
      (Lines{"usage:17/1/5/-", "reasoning:Let me", "error:upstream|api_error||0|retry|Internal"}));
}

TEST(Anthropic, StopReasonsNormalized) {
  for (auto [raw, want] :
       {std::pair{"max_tokens", "length"}, std::pair{"stop_sequence", "stop"},
        std::pair{"refusal", "content_filter"}, std::pair{"pause_turn", "pause_turn"}}) {
    const std::string body =
        std::string(R"(data: {"type":"message_delta","delta":{"stop_reason":")") + raw +
        R"("},"usage":{"output_tokens":4}})"
        "\n\ndata: {\"type\":\"message_stop\"}\n\n";
    EXPECT_EQ(decode(Dialect::anthropic, body),
              (Lines{std::string("finish:") + want + "|" + raw, "usage:0/4/-/-"}));
  }
}

TEST(Ollama, ThinkingToolCallsAndCrlf) {
  const std::string body =
      "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"thinking\":\"hm\"},\"done\":false}"
      "\r\n\r\n"
      "{\"message\":{\"role\":\"assistant\",\"content\":\"\",\"tool_calls\":[{\"function\":{"
      "\"name\":\"f\",\"arguments\":{\"x\":1}}}]},\"done\":false}\r\n"
      "{\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true,\"done_reason\":"
      "\"stop\",\"prompt_eval_count\":4,\"eval_count\":2}";
  EXPECT_EQ(decode(Dialect::ollama, body), (Lines{"reasoning:hm", "tool:0||f|{\"x\":1}",
                                                  "finish:tool_calls|stop", "usage:4/2/-/-"}));
}

TEST(Ollama, PartialLastLineIsTruncationAndGarbageIsProtocol) {
  Lines got = decode(Dialect::ollama, "{\"message\":{\"content\":\"a\"},\"done\":false}\n{\"mes");
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[1].rfind("error:truncated|", 0), 0u) << got[1];
  got = decode(Dialect::ollama, "<html>\n");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].rfind("error:protocol|", 0), 0u) << got[0];
}

TEST(Events, ErrorKindNames) {
  EXPECT_STREQ(to_string(ErrorKind::http_status), "http_status");
  EXPECT_STREQ(to_string(ErrorKind::upstream), "upstream");
  EXPECT_STREQ(to_string(ErrorKind::truncated), "truncated");
  EXPECT_STREQ(to_string(ErrorKind::timeout), "timeout");
  EXPECT_STREQ(to_string(ErrorKind::connect), "connect");
  EXPECT_STREQ(to_string(ErrorKind::protocol), "protocol");
  EXPECT_STREQ(to_string(ErrorKind::cancelled), "cancelled");
  EXPECT_STREQ(to_string(Dialect::anthropic), "anthropic");
}

}  // namespace
}  // namespace chatstream::providers::dialect::test
