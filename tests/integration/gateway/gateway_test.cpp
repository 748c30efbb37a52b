// The /v1 gateway end to end: a real chatstream process whose providers point at a real
// fake-upstream process speaking the OpenAI, Anthropic and Ollama wire formats.
#include <gtest/gtest.h>
#include <boost/json/parse.hpp>

#include <fstream>
#include <set>
#include <thread>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace chatstream::testing {
namespace {
namespace json = boost::json;
using namespace std::chrono_literals;

constexpr const char* kToken = "sk-gateway-test";

// One fake-upstream and one chatstream for the whole suite (started lazily, stopped at exit).
class Stack {
 public:
  Stack() {
    auto port_file = dir_.path() / "fake.port";
    fake_ = std::make_unique<Process>(
        std::vector<std::string>{built_program("tools/fake-upstream/fake-upstream").string(),
                                 "--listen", "127.0.0.1:0", "--port-file", port_file.string()},
        dir_.path() / "fake.log");
    auto port = wait_for_port_file(port_file, 20s, fake_.get());
    if (!port) throw std::runtime_error("fake-upstream did not start:\n" + fake_->log());
    fake_port_ = *port;
    const std::string base = "http://127.0.0.1:" + std::to_string(fake_port_);
    auto config = dir_.path() / "chatstream.toml";
    std::ofstream(config) << "[upstream]\nmax_retries = 0\n\n"
                          << "[gateway]\ntokens = [\"" << kToken << "\"]\n\n"
                          << "[[providers]]\nname = \"fo\"\nkind = \"openai\"\nbase_url = \""
                          << base << "/v1\"\napi_key = \"sk-upstream\"\nmodels = [\"fake-gpt\"]\n\n"
                          << "[[providers]]\nname = \"fa\"\nkind = \"anthropic\"\nbase_url = \""
                          << base
                          << "\"\napi_key = \"sk-ant-upstream\"\nmodels = [\"fake-claude\"]\n\n"
                          << "[[providers]]\nname = \"fl\"\nkind = \"ollama\"\nbase_url = \""
                          << base << "\"\nmodels = [\"fake-llama\"]\n\n"
                          << "[[providers]]\nname = \"simulated\"\nkind = \"simulated\"\n"
                          << "tokens_per_second = 0\nfirst_token_delay_ms = 0\n";
    server_ = std::make_unique<ChatstreamServer>(
        std::vector<std::string>{"--config", config.string()},
        std::vector<std::string>{"OPENAI_API_KEY=", "ANTHROPIC_API_KEY=", "OLLAMA_HOST="});
  }

  unsigned short port() const { return server_->port(); }
  unsigned short fake_port() const { return fake_port_; }
  std::string log() const { return server_->log(); }

 private:
  TempDir dir_;
  std::unique_ptr<Process> fake_;
  unsigned short fake_port_ = 0;
  std::unique_ptr<ChatstreamServer> server_;
};

Stack& stack() {
  static Stack s;
  return s;
}

std::string chat_body(const std::string& model, bool stream, const std::string& extra = "") {
  return R"({"model":")" + model + R"(","messages":[{"role":"user","content":"Say hello"}],)" +
         R"("stream":)" + (stream ? "true" : "false") + extra + "}";
}

HttpResponse post_chat(const std::string& body, const std::string& token = kToken) {
  std::vector<std::string> headers = {"Content-Type: application/json"};
  if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
  return http_request(stack().port(), "POST", "/v1/chat/completions", body, headers);
}

// The text the fake upstream generates for these controls, asked directly (non-streaming).
std::string expected_text(const std::string& controls) {
  auto r = http_request(stack().fake_port(), "POST", "/v1/chat/completions",
                        chat_body("fake:" + controls, false), {"Content-Type: application/json"});
  EXPECT_EQ(r.status, 200) << r.body;
  return std::string(
      json::parse(r.body).at("choices").at(0).at("message").at("content").as_string());
}

struct Collected {
  std::string text;
  std::vector<json::object> chunks;
  std::optional<json::object> error;
  bool done = false;
};

Collected collect(const HttpResponse& r) {
  Collected c;
  for (const auto& frame : parse_sse_frames(r.body)) {
    EXPECT_TRUE(frame.event.empty()) << "OpenAI streams have no event names";
    if (frame.data == "[DONE]") {
      c.done = true;
      continue;
    }
    auto obj = json::parse(frame.data).as_object();
    if (obj.contains("error")) {
      c.error = obj.at("error").as_object();
      continue;
    }
    const auto& choices = obj.at("choices").as_array();
    if (!choices.empty()) {
      if (const auto* content = choices[0].at("delta").as_object().if_contains("content")) {
        if (content->is_string()) c.text += content->as_string();
      }
    }
    c.chunks.push_back(std::move(obj));
  }
  return c;
}

class GatewayDialects : public ::testing::TestWithParam<std::string> {};

TEST_P(GatewayDialects, StreamsTheUpstreamText) {
  const std::string controls = "tokens=12,delay_ms=2";
  auto r = post_chat(chat_body(GetParam() + "/fake:" + controls, true));
  ASSERT_EQ(r.status, 200) << r.body << stack().log();
  EXPECT_EQ(r.header("content-type"), "text/event-stream; charset=utf-8");
  auto c = collect(r);
  EXPECT_EQ(c.text, expected_text(controls));
  EXPECT_TRUE(c.done);
  EXPECT_FALSE(c.error.has_value());
  ASSERT_GE(c.chunks.size(), 3u);
  const auto id = c.chunks.front().at("id").as_string();
  for (const auto& chunk : c.chunks) {
    EXPECT_EQ(chunk.at("id").as_string(), id);
    EXPECT_EQ(chunk.at("model").as_string(), GetParam() + "/fake:" + controls);
  }
  EXPECT_EQ(c.chunks.front().at("choices").at(0).at("delta").at("role").as_string(), "assistant");
  EXPECT_EQ(c.chunks.back().at("choices").at(0).at("finish_reason").as_string(), "stop");
}

TEST_P(GatewayDialects, NonStreamingCompletion) {
  const std::string controls = "tokens=7";
  auto r = post_chat(chat_body(GetParam() + "/fake:" + controls, false));
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("object").as_string(), "chat.completion");
  EXPECT_EQ(doc.at("choices").at(0).at("message").at("content").as_string(),
            expected_text(controls));
  EXPECT_GT(doc.at("usage").at("completion_tokens").as_int64(), 0);
}

TEST_P(GatewayDialects, IncludeUsageYieldsAUsageChunk) {
  auto r = post_chat(chat_body(GetParam() + "/fake:tokens=5", true,
                               R"(,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(r.status, 200) << r.body;
  auto c = collect(r);
  ASSERT_FALSE(c.chunks.empty());
  const auto& last = c.chunks.back();
  EXPECT_TRUE(last.at("choices").as_array().empty());
  EXPECT_GT(last.at("usage").at("completion_tokens").as_int64(), 0);
  EXPECT_TRUE(c.done);
}

TEST_P(GatewayDialects, MidStreamFailureBecomesAnErrorChunk) {
  auto r = post_chat(chat_body(GetParam() + "/fake:tokens=20,fault=reset_after:3", true));
  ASSERT_EQ(r.status, 200) << r.body;
  auto c = collect(r);
  ASSERT_TRUE(c.error.has_value()) << r.body;
  EXPECT_FALSE(c.done);
  EXPECT_FALSE(c.text.empty());
  EXPECT_EQ(c.error->at("message").as_string().find("sk-"), std::string::npos);
}

INSTANTIATE_TEST_SUITE_P(Upstreams, GatewayDialects, ::testing::Values("fo", "fa", "fl"));

TEST(Gateway, SimulatedModelStreams) {
  auto r = post_chat(chat_body("simulated/simulated", true));
  ASSERT_EQ(r.status, 200) << r.body << stack().log();
  auto c = collect(r);
  EXPECT_FALSE(c.text.empty());
  EXPECT_TRUE(c.done);
}

TEST(Gateway, UpstreamStatusBeforeStreaming) {
  auto limited = post_chat(chat_body("fo/fake:status=429", true));
  EXPECT_EQ(limited.status, 429) << limited.body;
  EXPECT_EQ(json::parse(limited.body).at("error").at("type").as_string(), "rate_limit_error");
  auto missing = post_chat(chat_body("no-such-model", true));
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(json::parse(missing.body).at("error").at("code").as_string(), "model_not_found");
}

TEST(Gateway, Authentication) {
  EXPECT_EQ(post_chat(chat_body("fo/fake:tokens=1", false), "").status, 401);
  auto wrong = post_chat(chat_body("fo/fake:tokens=1", false), "sk-wrong");
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("error").at("type").as_string(), "authentication_error");
  EXPECT_EQ(http_request(stack().port(), "GET", "/v1/models").status, 401);
}

TEST(Gateway, ModelsList) {
  auto r = http_request(stack().port(), "GET", "/v1/models", "",
                        {std::string("Authorization: Bearer ") + kToken});
  ASSERT_EQ(r.status, 200);
  auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("object").as_string(), "list");
  std::set<std::string> ids;
  for (const auto& m : doc.at("data").as_array()) {
    EXPECT_EQ(m.at("object").as_string(), "model");
    ids.insert(std::string(m.at("id").as_string()));
  }
  EXPECT_TRUE(ids.count("fake-gpt") && ids.count("fake-claude") && ids.count("fake-llama"))
      << r.body;
}

// Polls the fake upstream's record of the request with this model until it has an outcome.
std::string upstream_outcome(const std::string& model, std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  std::string outcome;
  while (std::chrono::steady_clock::now() < deadline) {
    auto r = http_request(stack().fake_port(), "GET", "/_fake/requests");
    const json::value records = json::parse(r.body);
    for (const auto& rec : records.as_array()) {
      const auto& body = rec.at("body_json");
      if (!body.is_object() || !body.as_object().contains("model")) continue;
      if (body.at("model").as_string() != model) continue;
      outcome = std::string(rec.at("outcome").as_string());
    }
    if (!outcome.empty() && outcome != "in_progress") return outcome;
    std::this_thread::sleep_for(20ms);
  }
  return outcome;
}

TEST(Gateway, ClientDisconnectClosesTheUpstream) {
  const std::string model = "fake:tokens=2000,delay_ms=20,key=disconnect";
  const std::string body = chat_body("fo/" + model, true);
  {
    RawConnection c(stack().port());
    c.send(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
        "application/json\r\nAuthorization: Bearer " +
        std::string(kToken) + "\r\nContent-Length: " + std::to_string(body.size()) + "\r\n\r\n" +
        body);
    auto seen = c.read_until("\"content\":\"", 10s);
    ASSERT_NE(seen.find("\"content\":\""), std::string::npos) << seen;
  }
  EXPECT_EQ(upstream_outcome(model, 10s), "client_disconnected");
}

}  // namespace
}  // namespace chatstream::testing
