#include <gtest/gtest.h>

#include "api/openai/chat_request.hpp"

namespace chatstream::api::openai {
namespace {

ParsedChatRequest ok(std::string_view body) {
  auto r = parse_chat_request(body);
  if (auto* e = std::get_if<ApiError>(&r)) {
    ADD_FAILURE() << "unexpected error: " << e->message;
    return {};
  }
  return std::get<ParsedChatRequest>(std::move(r));
}

ApiError fails(std::string_view body) {
  auto r = parse_chat_request(body);
  if (auto* e = std::get_if<ApiError>(&r)) return *e;
  ADD_FAILURE() << "expected an error for " << body;
  return {};
}

TEST(ChatRequest, MinimalStreamingRequest) {
  auto p = ok(R"({"model":"gpt-4o","messages":[{"role":"user","content":"hi"}],"stream":true})");
  EXPECT_EQ(p.model, "gpt-4o");
  EXPECT_TRUE(p.stream);
  EXPECT_FALSE(p.include_usage);
  ASSERT_EQ(p.request.messages.size(), 1u);
  EXPECT_EQ(p.request.messages[0].role, "user");
  EXPECT_EQ(p.request.messages[0].content, "hi");
  EXPECT_TRUE(p.request.model.empty());
}

TEST(ChatRequest, SystemAndDeveloperGoToTheSystemPrompt) {
  auto p = ok(R"({"model":"m","messages":[{"role":"system","content":"be brief"},
      {"role":"developer","content":[{"type":"text","text":"use French"}]},
      {"role":"user","content":"hi"},{"role":"assistant","content":"salut"},
      {"role":"tool","content":"42","tool_call_id":"call_1"}]})");
  EXPECT_EQ(p.request.system_prompt, "be brief\n\nuse French");
  ASSERT_EQ(p.request.messages.size(), 3u);
  EXPECT_EQ(p.request.messages[1].role, "assistant");
  EXPECT_EQ(p.request.messages[2].role, "tool");
  EXPECT_EQ(p.request.messages[2].tool_call_id, "call_1");
}

TEST(ChatRequest, ArrayOfTextPartsIsJoined) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"text","text":"one"},{"type":"text","text":"two"}]}]})");
  EXPECT_EQ(p.request.messages[0].content, "one\ntwo");
}

TEST(ChatRequest, SamplingParameters) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":0.5,
      "top_p":1,"max_tokens":10,"max_completion_tokens":20,"stop":["a","b"],"user":"u1",
      "stream":true,"stream_options":{"include_usage":true},"seed":3,"presence_penalty":0})");
  EXPECT_DOUBLE_EQ(*p.request.temperature, 0.5);
  EXPECT_DOUBLE_EQ(*p.request.top_p, 1.0);
  EXPECT_EQ(*p.request.max_tokens, 20);
  EXPECT_EQ(p.request.stop, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p.request.user, "u1");
  EXPECT_TRUE(p.include_usage);
}

TEST(ChatRequest, StopAsAString) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stop":"END"})");
  EXPECT_EQ(p.request.stop, std::vector<std::string>{"END"});
}

TEST(ChatRequest, IncludeUsageOnlyWhenStreaming) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "stream_options":{"include_usage":true}})");
  EXPECT_FALSE(p.include_usage);
}

TEST(ChatRequest, ToolsArePassedThroughAsJson) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],
      "tools":[{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}],
      "tool_choice":"auto"})");
  EXPECT_EQ(p.request.tools_json,
            R"([{"type":"function","function":{"name":"f","parameters":{"type":"object"}}}])");
  EXPECT_EQ(p.request.tool_choice_json, R"("auto")");
}

TEST(ChatRequest, Errors) {
  EXPECT_EQ(fails("not json").code, "invalid_json");
  EXPECT_EQ(fails("[1]").code, "invalid_json");
  auto e = fails(R"({"messages":[{"role":"user","content":"x"}]})");
  EXPECT_EQ(e.param, "model");
  EXPECT_EQ(e.status, 400u);
  EXPECT_EQ(e.type, "invalid_request_error");
  EXPECT_EQ(fails(R"({"model":"m"})").param, "messages");
  EXPECT_EQ(fails(R"({"model":"m","messages":[]})").code, "empty_array");
  EXPECT_EQ(fails(R"({"model":"m","messages":[{"role":"wizard","content":"x"}]})").param,
            "messages[0].role");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":"hot"})").code,
      "invalid_type");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"temperature":3})").param,
      "temperature");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":0})").param,
      "max_tokens");
  EXPECT_EQ(fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"n":2})").param, "n");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":true})").param,
      "logprobs");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"user","content":"x"}],"stream":"yes"})").param,
      "stream");
  EXPECT_EQ(fails(R"({"model":"m","messages":[{"role":"user","content":[
      {"type":"image_url","image_url":{"url":"x"}}]}]})")
                .param,
            "messages[0].content[0].type");
  EXPECT_EQ(
      fails(R"({"model":"m","messages":[{"role":"system","content":"only instructions"}]})").param,
      "messages");
}

TEST(ChatRequest, NeutralValuesOfRefusedParametersAreAccepted) {
  auto p = ok(R"({"model":"m","messages":[{"role":"user","content":"x"}],"logprobs":false,
      "n":1,"audio":null})");
  EXPECT_EQ(p.model, "m");
}

}  // namespace
}  // namespace chatstream::api::openai
