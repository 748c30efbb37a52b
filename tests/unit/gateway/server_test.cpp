// The gateway's routes behind the real HTTP server on 127.0.0.1, with scripted providers:
// wire bytes of streaming and non-streaming answers, errors before and during the stream,
// authentication, /v1/models, and upstream cancellation when the client disconnects.
#include <gtest/gtest.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>

#include <thread>

#include "api/openai/gateway.hpp"
#include "fake_provider.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "store/store.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sync.hpp"

namespace chatstream::api::openai {
namespace {
namespace asio = boost::asio;
namespace json = boost::json;
using namespace std::chrono_literals;
using testing::ScriptedProvider;

std::shared_ptr<ScriptedProvider> hello_provider() {
  return std::make_shared<ScriptedProvider>(
      std::vector<testing::Step>{{providers::TextDelta{"Hello"}},
                                 {providers::TextDelta{", wörld"}, 5ms},
                                 {providers::Usage{4, 2, std::nullopt, std::nullopt}},
                                 {providers::Finish{"stop", "stop"}}});
}

class GatewayServer : public ::testing::Test {
 protected:
  void start(std::vector<std::string> token_hashes = {}, store::Store* store = nullptr) {
    providers_["hello"] = hello_provider();
    providers_["stall"] = std::make_shared<ScriptedProvider>(
        std::vector<testing::Step>{{providers::TextDelta{"tick"}}}, 60s);
    providers_["ratelimited"] = std::make_shared<ScriptedProvider>(std::vector<testing::Step>{
        {providers::StreamError{providers::ErrorKind::http_status, "rate_limit_error",
                                "Rate limit reached", 429, "rate_limit_exceeded", true}}});
    providers_["midfail"] = std::make_shared<ScriptedProvider>(std::vector<testing::Step>{
        {providers::TextDelta{"par"}},
        {providers::StreamError{providers::ErrorKind::upstream, "server_error", "upstream broke", 0,
                                "", false},
         5ms}});
    auto ctx = std::make_shared<GatewayContext>();
    ctx->config.token_hashes = std::move(token_hashes);
    ctx->resolve = [this](std::string_view model) -> std::optional<providers::ResolvedModel> {
      auto it = providers_.find(std::string(model));
      if (it == providers_.end()) return std::nullopt;
      return providers::ResolvedModel{it->second, "upstream-" + it->first, it->first};
    };
    ctx->list_models = [] {
      return std::vector<providers::ModelInfo>{{"hello", "Hello", "scripted", false},
                                               {"openai/gpt-x", "GPT", "openai", false}};
    };
    ctx->executor = ioc_.get_executor();
    ctx->created = 1700000000;
    ctx->store = store;
    ctx->config.history = store != nullptr;
    add_routes(router_, ctx);
    http::ServerConfig config;
    config.port = 0;
    auto logger =
        std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
    server_ = std::make_unique<http::Server>(config, router_, nullptr, metrics_, logger);
    port_ = server_->start(ioc_.get_executor());
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { ioc_.run(); });
  }

  void TearDown() override {
    ioc_.stop();
    threads_.clear();
  }

  testing::HttpResponse post(const std::string& body, std::vector<std::string> headers = {}) {
    headers.push_back("Content-Type: application/json");
    return testing::http_request(port_, "POST", "/v1/chat/completions", body, headers);
  }

  static std::string chat(std::string_view model, bool stream, std::string_view extra = "") {
    return std::string(R"({"model":")") + std::string(model) +
           R"(","messages":[{"role":"user","content":"hi"}],"stream":)" +
           (stream ? "true" : "false") + std::string(extra) + "}";
  }

  asio::io_context ioc_{2};
  http::Router router_;
  http::Metrics metrics_;
  std::unique_ptr<http::Server> server_;
  std::map<std::string, std::shared_ptr<ScriptedProvider>> providers_;
  unsigned short port_ = 0;
  std::vector<std::jthread> threads_;
};

TEST_F(GatewayServer, StreamsOpenAiChunks) {
  start();
  auto r = post(chat("hello", true, R"(,"stream_options":{"include_usage":true})"));
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(r.header("content-type"), "text/event-stream; charset=utf-8");
  auto frames = testing::parse_sse_frames(r.body);
  ASSERT_EQ(frames.size(), 6u) << r.body;
  std::string text;
  std::string id;
  for (std::size_t i = 0; i + 1 < frames.size(); ++i) {
    EXPECT_TRUE(frames[i].event.empty());
    auto chunk = json::parse(frames[i].data).as_object();
    EXPECT_EQ(chunk.at("object").as_string(), "chat.completion.chunk");
    EXPECT_EQ(chunk.at("model").as_string(), "hello");
    if (id.empty()) id = chunk.at("id").as_string();
    EXPECT_EQ(chunk.at("id").as_string(), id);
    const auto& choices = chunk.at("choices").as_array();
    if (choices.empty()) {
      EXPECT_EQ(chunk.at("usage").at("total_tokens").as_int64(), 6);
      continue;
    }
    const auto& delta = choices[0].at("delta").as_object();
    if (auto* c = delta.if_contains("content")) text += c->as_string();
  }
  EXPECT_EQ(text, "Hello, wörld");
  EXPECT_EQ(frames.back().data, "[DONE]");
  EXPECT_EQ(providers_["hello"]->last_request().model, "upstream-hello");
}

TEST_F(GatewayServer, NonStreamingCompletion) {
  start();
  auto r = post(chat("hello", false));
  ASSERT_EQ(r.status, 200) << r.body;
  auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("object").as_string(), "chat.completion");
  EXPECT_EQ(doc.at("choices").at(0).at("message").at("content").as_string(), "Hello, wörld");
  EXPECT_EQ(doc.at("usage").at("completion_tokens").as_int64(), 2);
}

TEST_F(GatewayServer, ErrorsBeforeStreamingHaveAStatus) {
  start();
  auto missing = post(chat("nope", true));
  EXPECT_EQ(missing.status, 404);
  auto e = json::parse(missing.body).at("error").as_object();
  EXPECT_EQ(e.at("code").as_string(), "model_not_found");
  EXPECT_EQ(e.at("type").as_string(), "invalid_request_error");

  auto limited = post(chat("ratelimited", true));
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(json::parse(limited.body).at("error").at("type").as_string(), "rate_limit_error");

  auto bad = post(R"({"model":"hello","messages":"hi"})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(json::parse(bad.body).at("error").at("param").as_string(), "messages");
}

TEST_F(GatewayServer, ErrorAfterStreamingStartedIsAChunk) {
  start();
  auto r = post(chat("midfail", true));
  ASSERT_EQ(r.status, 200);
  auto frames = testing::parse_sse_frames(r.body);
  ASSERT_FALSE(frames.empty());
  auto last = json::parse(frames.back().data).as_object();
  EXPECT_EQ(last.at("error").at("message").as_string(), "upstream broke");
  EXPECT_EQ(r.body.find("[DONE]"), std::string::npos);
}

TEST_F(GatewayServer, ModelsList) {
  start();
  auto r = testing::http_request(port_, "GET", "/v1/models");
  ASSERT_EQ(r.status, 200);
  auto doc = json::parse(r.body).as_object();
  EXPECT_EQ(doc.at("object").as_string(), "list");
  ASSERT_EQ(doc.at("data").as_array().size(), 2u);
  EXPECT_EQ(doc.at("data").at(1).at("id").as_string(), "openai/gpt-x");
  EXPECT_EQ(doc.at("data").at(1).at("owned_by").as_string(), "openai");
  EXPECT_EQ(doc.at("data").at(1).at("created").as_int64(), 1700000000);
  auto one = testing::http_request(port_, "GET", "/v1/models/openai/gpt-x");
  EXPECT_EQ(one.status, 200);
  EXPECT_EQ(json::parse(one.body).at("id").as_string(), "openai/gpt-x");
  EXPECT_EQ(testing::http_request(port_, "GET", "/v1/models/none").status, 404);
}

TEST_F(GatewayServer, BearerTokens) {
  start({sha256_hex("sk-test")});
  EXPECT_EQ(post(chat("hello", false)).status, 401);
  auto wrong = post(chat("hello", false), {"Authorization: Bearer sk-wrong"});
  EXPECT_EQ(wrong.status, 401);
  EXPECT_EQ(json::parse(wrong.body).at("error").at("type").as_string(), "authentication_error");
  EXPECT_EQ(post(chat("hello", false), {"Authorization: Bearer sk-test"}).status, 200);
  EXPECT_EQ(testing::http_request(port_, "GET", "/v1/models").status, 401);
  EXPECT_EQ(testing::http_request(port_, "GET", "/v1/models", "", {"Authorization: Bearer sk-test"})
                .status,
            200);
}

TEST_F(GatewayServer, ClientDisconnectCancelsTheUpstream) {
  start();
  auto provider = providers_["stall"];
  {
    testing::RawConnection c(port_);
    const std::string body = chat("stall", true);
    c.send(
        "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        "Content-Type: application/json\r\nContent-Length: " +
        std::to_string(body.size()) + "\r\n\r\n" + body);
    auto seen = c.read_until(R"("content":"tick")", 10s);
    ASSERT_NE(seen.find("tick"), std::string::npos) << seen;
    EXPECT_EQ(provider->cancelled.load(), 0);
  }  // the client goes away mid-stream
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (provider->cancelled.load() == 0 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ(provider->cancelled.load(), 1);
  EXPECT_EQ(provider->finished.load(), 0);
}

TEST_F(GatewayServer, HistoryCaptureSavesTheExchange) {
  testing::TempDir dir;
  store::StoreConfig sc;
  sc.url = (dir.path() / "history.db").string();
  auto store = store::open_store(sc);
  start({}, store.get());
  auto r = post(R"({"model":"hello","stream":true,"messages":[
      {"role":"system","content":"be kind"},{"role":"user","content":"Greet me"}]})");
  ASSERT_EQ(r.status, 200);
  // The capture writes in steps (the conversation, then its messages, then the final state of
  // the answer): wait until the answer is saved as complete.
  std::vector<store::Conversation> conversations;
  std::vector<store::Message> branch;
  const auto saved = [&] {
    return branch.size() == 2 && branch[1].status == store::MessageStatus::complete;
  };
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!saved() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(10ms);
    store::ListConversations q;
    conversations = testing::sync(store->list_conversations(q)).conversations;
    if (conversations.size() != 1 || !conversations[0].current_leaf_id) continue;
    branch = testing::sync(
        store->get_branch(conversations[0].user_id, *conversations[0].current_leaf_id));
  }
  ASSERT_EQ(conversations.size(), 1u);
  EXPECT_EQ(conversations[0].title, "Greet me");
  EXPECT_EQ(conversations[0].system_prompt, "be kind");
  ASSERT_TRUE(conversations[0].current_leaf_id.has_value());
  ASSERT_EQ(branch.size(), 2u);
  EXPECT_EQ(branch[0].content, "Greet me");
  EXPECT_EQ(branch[1].role, store::Role::assistant);
  EXPECT_EQ(branch[1].content, "Hello, wörld");
  EXPECT_EQ(branch[1].status, store::MessageStatus::complete);
  EXPECT_EQ(branch[1].completion_tokens, 2);
  ioc_.stop();
  threads_.clear();
  testing::sync(store->flush());
}

}  // namespace
}  // namespace chatstream::api::openai
