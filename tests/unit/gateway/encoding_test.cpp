// Chunk encoding (exact bytes), the non-streaming completion object and error mapping.
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include "api/openai/chunk_encoder.hpp"
#include "api/openai/completion.hpp"
#include "api/openai/errors.hpp"

namespace chatstream::api::openai {
namespace {
namespace json = boost::json;

ChunkIdentity identity() {
  return {"chatcmpl-1", 1700000000, "gpt-4o"};
}

constexpr std::string_view kPrefix =
    R"(data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[)";

// The JSON of one `data: ...\n\n` line (checks the framing).
json::object chunk_json(const std::string& line) {
  EXPECT_EQ(line.rfind("data: ", 0), 0u);
  EXPECT_EQ(line.substr(line.size() - 2), "\n\n");
  return json::parse(line.substr(6, line.size() - 8)).as_object();
}

TEST(ChunkEncoder, RoleContentAndFinishBytes) {
  ChunkEncoder enc(identity(), false, true);
  std::string out;
  enc.append_role(out);
  EXPECT_EQ(
      out,
      std::string(kPrefix) +
          R"({"index":0,"delta":{"role":"assistant","content":"","refusal":null},"logprobs":null,"finish_reason":null}]})"
          "\n\n");
  out.clear();
  enc.append_content(out, "Hi \"there\"\n");
  EXPECT_EQ(
      out,
      std::string(kPrefix) +
          R"({"index":0,"delta":{"content":"Hi \"there\"\n"},"logprobs":null,"finish_reason":null}]})"
          "\n\n");
  out.clear();
  enc.append_finish(out, "end_turn_unknown");
  EXPECT_EQ(out, std::string(kPrefix) +
                     R"({"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}]})"
                     "\n\n");
}

TEST(ChunkEncoder, IncludeUsageAddsNullUsageAndAUsageChunk) {
  ChunkEncoder enc(identity(), true, true);
  std::string out;
  enc.append_content(out, "x");
  auto chunk = chunk_json(out);
  EXPECT_TRUE(chunk.at("usage").is_null());
  out.clear();
  providers::Usage usage{7, 5, 2, std::nullopt};
  enc.append_usage(out, usage);
  chunk = chunk_json(out);
  EXPECT_TRUE(chunk.at("choices").as_array().empty());
  EXPECT_EQ(chunk.at("usage").at("total_tokens").as_int64(), 12);
  EXPECT_EQ(chunk.at("usage").at("prompt_tokens_details").at("cached_tokens").as_int64(), 2);
  EXPECT_FALSE(chunk.at("usage").as_object().contains("completion_tokens_details"));
}

TEST(ChunkEncoder, ToolCallFragments) {
  ChunkEncoder enc(identity(), false, true);
  std::string out;
  enc.append_tool_call(out, {1, "call_9", "get_weather", ""});
  auto first = chunk_json(out);
  auto call = first.at("choices").at(0).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_EQ(call.at("index").as_int64(), 1);
  EXPECT_EQ(call.at("id").as_string(), "call_9");
  EXPECT_EQ(call.at("type").as_string(), "function");
  EXPECT_EQ(call.at("function").at("name").as_string(), "get_weather");
  EXPECT_EQ(call.at("function").at("arguments").as_string(), "");
  out.clear();
  enc.append_tool_call(out, {1, "", "", "{\"city\":"});
  auto next = chunk_json(out);
  call = next.at("choices").at(0).at("delta").at("tool_calls").at(0).as_object();
  EXPECT_FALSE(call.contains("id"));
  EXPECT_FALSE(call.contains("type"));
  EXPECT_EQ(call.at("function").at("arguments").as_string(), "{\"city\":");
}

TEST(ChunkEncoder, ReasoningCanBeDropped) {
  std::string out;
  ChunkEncoder(identity(), false, false).append_reasoning(out, "hmm");
  EXPECT_TRUE(out.empty());
  ChunkEncoder(identity(), false, true).append_reasoning(out, "hmm");
  EXPECT_EQ(chunk_json(out).at("choices").at(0).at("delta").at("reasoning_content").as_string(),
            "hmm");
}

TEST(ChunkEncoder, ErrorAndDone) {
  std::string out;
  ChunkEncoder::append_error(out, ApiError{502, "api_error", "boom", "", "upstream_error"});
  EXPECT_EQ(
      out,
      R"(data: {"error":{"message":"boom","type":"api_error","param":null,"code":"upstream_error"}})"
      "\n\n");
  out.clear();
  ChunkEncoder::append_done(out);
  EXPECT_EQ(out, "data: [DONE]\n\n");
}

TEST(ChunkEncoder, CompletionIdsAreDistinct) {
  auto a = new_completion_id();
  auto b = new_completion_id();
  EXPECT_EQ(a.rfind("chatcmpl-", 0), 0u);
  EXPECT_NE(a, b);
}

TEST(CompletionBuilder, CollectsTextToolCallsAndUsage) {
  CompletionBuilder b(identity(), true);
  b.add(providers::ReasoningDelta{"think"});
  b.add(providers::TextDelta{"Hel"});
  b.add(providers::TextDelta{"lo"});
  b.add(providers::ToolCallDelta{0, "call_1", "f", "{\"a\""});
  b.add(providers::ToolCallDelta{0, "", "", ":1}"});
  b.add(providers::Usage{3, 4, std::nullopt, std::nullopt});
  EXPECT_FALSE(b.finished());
  b.add(providers::Finish{"tool_calls", "tool_use"});
  ASSERT_TRUE(b.finished());
  auto doc = json::parse(b.json()).as_object();
  EXPECT_EQ(doc.at("object").as_string(), "chat.completion");
  EXPECT_EQ(doc.at("model").as_string(), "gpt-4o");
  const auto& choice = doc.at("choices").at(0).as_object();
  EXPECT_EQ(choice.at("finish_reason").as_string(), "tool_calls");
  const auto& msg = choice.at("message").as_object();
  EXPECT_EQ(msg.at("content").as_string(), "Hello");
  EXPECT_EQ(msg.at("reasoning_content").as_string(), "think");
  EXPECT_EQ(msg.at("tool_calls").at(0).at("function").at("arguments").as_string(), "{\"a\":1}");
  EXPECT_EQ(doc.at("usage").at("total_tokens").as_int64(), 7);
}

TEST(CompletionBuilder, KeepsTheError) {
  CompletionBuilder b(identity(), true);
  b.add(providers::TextDelta{"partial"});
  b.add(providers::StreamError{providers::ErrorKind::timeout, "", "idle", 0, "", true});
  ASSERT_TRUE(b.error().has_value());
  EXPECT_EQ(b.error()->kind, providers::ErrorKind::timeout);
}

TEST(Errors, MapUpstreamFailures) {
  using providers::ErrorKind;
  auto map = [](ErrorKind kind, int status, std::string type = {}) {
    return from_stream_error(providers::StreamError{kind, type, "m", status, "", false});
  };
  EXPECT_EQ(map(ErrorKind::connect, 0).status, 502u);
  EXPECT_EQ(map(ErrorKind::connect, 0).code, "upstream_connect_failed");
  EXPECT_EQ(map(ErrorKind::timeout, 0).status, 504u);
  EXPECT_EQ(map(ErrorKind::http_status, 429).status, 429u);
  EXPECT_EQ(map(ErrorKind::http_status, 429).type, "rate_limit_error");
  EXPECT_EQ(map(ErrorKind::http_status, 400).type, "invalid_request_error");
  EXPECT_EQ(map(ErrorKind::http_status, 401).status, 502u);
  EXPECT_EQ(map(ErrorKind::http_status, 401).code, "upstream_auth_failed");
  EXPECT_EQ(map(ErrorKind::http_status, 529).status, 503u);
  EXPECT_EQ(map(ErrorKind::http_status, 500).status, 500u);
  EXPECT_EQ(map(ErrorKind::upstream, 0, "overloaded_error").status, 503u);
  EXPECT_EQ(map(ErrorKind::protocol, 0).status, 502u);
}

TEST(Errors, ResponseShape) {
  auto r = error_response(ApiError{401, "authentication_error", "no", "", "invalid_api_key"});
  EXPECT_EQ(r.status, 401u);
  auto doc = json::parse(r.body).as_object();
  const auto& e = doc.at("error").as_object();
  EXPECT_EQ(e.at("message").as_string(), "no");
  EXPECT_TRUE(e.at("param").is_null());
  EXPECT_EQ(e.at("code").as_string(), "invalid_api_key");
}

}  // namespace
}  // namespace chatstream::api::openai
