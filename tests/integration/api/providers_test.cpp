// Send → stream → save through each provider dialect, upstream failures, cancel closing the
// upstream connection, and the context following the chosen branch — with the real server
// and the fake provider server as separate processes.
#include <gtest/gtest.h>

#include <fstream>
#include <thread>

#include "api_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;

class FakeUpstream {
 public:
  explicit FakeUpstream(const TempDir& dir) {
    auto port_file = dir.path() / "fake.port";
    process_ = std::make_unique<Process>(
        std::vector<std::string>{built_program("tools/fake-upstream/fake-upstream").string(),
                                 "--listen", "127.0.0.1:0", "--port-file", port_file.string(),
                                 "--fixtures",
                                 std::string(CHATSTREAM_SOURCE_DIR) + "/tests/fixtures/upstream"},
        dir.path() / "fake.log");
    auto port = wait_for_port_file(port_file, 20s, process_.get());
    if (!port) throw std::runtime_error("fake-upstream did not start:\n" + process_->log());
    port_ = *port;
  }
  unsigned short port() const { return port_; }
  boost::json::array requests() const {
    return boost::json::parse(http_request(port_, "GET", "/_fake/requests").body).as_array();
  }
  boost::json::object stats() const {
    return boost::json::parse(http_request(port_, "GET", "/_fake/stats").body).as_object();
  }

 private:
  std::unique_ptr<Process> process_;
  unsigned short port_ = 0;
};

class ProvidersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fake_ = std::make_unique<FakeUpstream>(dir_);
    auto config = dir_.path() / "chatstream.toml";
    const std::string base = "http://127.0.0.1:" + std::to_string(fake_->port());
    std::ofstream(config) << "[[providers]]\nname = \"oa\"\nkind = \"openai\"\nbase_url = \""
                          << base << "/v1\"\napi_key_env = \"FAKE_OPENAI_KEY\"\n"
                          << "models = [\"fake:tokens=30,delay_ms=2\"]\n\n"
                          << "[[providers]]\nname = \"an\"\nkind = \"anthropic\"\nbase_url = \""
                          << base << "\"\napi_key_env = \"FAKE_ANTHROPIC_KEY\"\n"
                          << "models = [\"fake:tokens=30,delay_ms=2\"]\n\n"
                          << "[[providers]]\nname = \"ol\"\nkind = \"ollama\"\nbase_url = \""
                          << base << "\"\nmodels = [\"fake:tokens=30,delay_ms=2\"]\n\n"
                          << "[upstream]\nidle_timeout_ms = 700\nmax_retries = 1\n"
                          << "retry_base_delay_ms = 20\nretry_max_delay_ms = 50\n";
    server_ = std::make_unique<ChatstreamServer>(
        std::vector<std::string>{"--config", config.string()},
        std::vector<std::string>{"FAKE_OPENAI_KEY=sk-test-openai-0123456789",
                                 "FAKE_ANTHROPIC_KEY=sk-ant-test-0123456789"});
    api_.port = server_->port();
  }

  // Sends with a model and waits for the end of its stream.
  std::tuple<std::string, std::string, StreamResult> run(const std::string& model,
                                                         const std::string& content = "hello") {
    auto cid = api_.new_conversation();
    auto [uid, mid] = api_.send(cid, content, R"("model":")" + model + "\"");
    auto stream = read_events(api_.port, mid);
    return {cid, mid, stream};
  }

  TempDir dir_;
  std::unique_ptr<FakeUpstream> fake_;
  std::unique_ptr<ChatstreamServer> server_;
  Api api_{0};
};

TEST_F(ProvidersTest, EachDialectStreamsAndSaves) {
  for (const char* provider : {"oa", "an", "ol"}) {
    SCOPED_TRACE(provider);
    auto [cid, mid, stream] = run(std::string(provider) + "/fake:tokens=30,delay_ms=2");
    ASSERT_EQ(stream.terminal_event, "done") << stream.raw;
    EXPECT_EQ(stream.terminal.at("status").as_string(), "complete");
    EXPECT_GE(stream.deltas.size(), 30u);
    auto saved = api_.message(cid, mid);
    EXPECT_EQ(saved.at("content").as_string(), stream.text());
    EXPECT_EQ(saved.at("provider").as_string(), provider);
    EXPECT_EQ(saved.at("usage").at("completion_tokens").as_int64(), 30);
  }
  // The keys went upstream (and only there).
  bool openai_key = false, anthropic_key = false;
  for (const auto& r : fake_->requests()) {
    const auto& h = r.at("header_map").as_object();
    if (auto* a = h.if_contains("authorization")) {
      openai_key |= a->as_string() == "Bearer sk-test-openai-0123456789";
    }
    if (auto* k = h.if_contains("x-api-key")) {
      anthropic_key |= k->as_string() == "sk-ant-test-0123456789";
    }
  }
  EXPECT_TRUE(openai_key);
  EXPECT_TRUE(anthropic_key);
  EXPECT_EQ(server_->log().find("sk-test-openai-0123456789"), std::string::npos);
  EXPECT_EQ(server_->log().find("sk-ant-test-0123456789"), std::string::npos);
  auto models = api_.call("GET", "/api/models").body;
  EXPECT_EQ(models.find("sk-"), std::string::npos);
}

void expect_failed_with_partial_text(const StreamResult& stream, const boost::json::object& saved,
                                     std::size_t min_deltas) {
  ASSERT_EQ(stream.terminal_event, "error") << stream.raw;
  EXPECT_EQ(stream.terminal.at("status").as_string(), "error");
  EXPECT_FALSE(stream.terminal.at("message").as_string().empty());
  EXPECT_EQ(saved.at("status").as_string(), "error");
  EXPECT_GE(stream.deltas.size(), min_deltas);
  EXPECT_EQ(saved.at("content").as_string(), stream.text());
  EXPECT_FALSE(saved.at("error").is_null());
}

TEST_F(ProvidersTest, ResetMidStreamKeepsThePartialAnswer) {
  auto [cid, mid, stream] = run("oa/fake:tokens=50,delay_ms=2,reset_after=10");
  expect_failed_with_partial_text(stream, api_.message(cid, mid), 10);
}

TEST_F(ProvidersTest, StallHitsTheIdleTimeout) {
  auto [cid, mid, stream] = run("an/fake:tokens=50,delay_ms=2,stall_after=8");
  expect_failed_with_partial_text(stream, api_.message(cid, mid), 8);
  std::string code(api_.message(cid, mid).at("error").at("code").as_string());
  EXPECT_NE(code.find("timeout"), std::string::npos) << code;
}

TEST_F(ProvidersTest, MidStreamErrorEventIsRecorded) {
  auto [cid, mid, stream] = run("oa/fake:fixture=openai_chat_error_midstream.sse");
  expect_failed_with_partial_text(stream, api_.message(cid, mid), 1);
}

TEST_F(ProvidersTest, Http500BeforeTheFirstToken) {
  auto [cid, mid, stream] = run("ol/fake:status=500");
  ASSERT_EQ(stream.terminal_event, "error") << stream.raw;
  auto saved = api_.message(cid, mid);
  EXPECT_EQ(saved.at("status").as_string(), "error");
  EXPECT_EQ(saved.at("content").as_string(), "");
  // One retry was allowed, so the upstream saw two attempts.
  int attempts = 0;
  for (const auto& r : fake_->requests()) {
    if (r.at("path").as_string() == "/api/chat") ++attempts;
  }
  EXPECT_EQ(attempts, 2);
}

TEST_F(ProvidersTest, CancelClosesTheUpstreamConnection) {
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "hi", R"("model":"oa/fake:tokens=2000,delay_ms=20")");
  std::this_thread::sleep_for(300ms);
  const auto before = fake_->stats().at("client_disconnects").as_int64();
  api_.json("POST", "/api/messages/" + mid + "/cancel", "{}", 200);
  bool observed = false;
  for (int i = 0; i < 100 && !observed; ++i) {
    observed = fake_->stats().at("client_disconnects").as_int64() > before;
    if (!observed) std::this_thread::sleep_for(20ms);
  }
  EXPECT_TRUE(observed) << "the upstream never saw the disconnect";
  auto last = fake_->requests().back().as_object();
  EXPECT_EQ(last.at("outcome").as_string(), "client_disconnected");
  EXPECT_LT(last.at("tokens_sent").as_int64(), 2000);
  EXPECT_EQ(api_.message(cid, mid).at("status").as_string(), "cancelled");
}

TEST_F(ProvidersTest, ContextFollowsTheChosenBranchOnly) {
  const std::string model = R"("model":"oa/fake:tokens=5")";
  auto cid = api_.new_conversation();
  auto [u1, a1] = api_.send(cid, "first question", model);
  read_events(api_.port, a1);
  auto [u2, a2] = api_.send(cid, "second question", model);
  read_events(api_.port, a2);
  // Edit the second question: a sibling of u2 under a1.
  auto [u3, a3] =
      api_.send(cid, "edited second question", model.substr(0) + R"(,"parent_id":")" + a1 + "\"");
  read_events(api_.port, a3);
  auto body = fake_->requests().back().at("body_json").as_object();
  std::vector<std::string> sent;
  for (const auto& m : body.at("messages").as_array()) {
    sent.emplace_back(m.at("content").as_string());
  }
  ASSERT_EQ(sent.size(), 3u) << boost::json::serialize(body);
  EXPECT_EQ(sent[0], "first question");
  EXPECT_EQ(sent[2], "edited second question");
  for (const auto& s : sent) EXPECT_EQ(s.find("second question") == 0, false);
}

TEST_F(ProvidersTest, RealModelsNameTheConversationAfterTheFirstAnswer) {
  auto [cid, mid, stream] = run("oa/fake:tokens=4", "please summarise the history of tea");
  ASSERT_EQ(stream.terminal_event, "done");
  std::string title;
  for (int i = 0; i < 100; ++i) {
    title =
        std::string(api_.json("GET", "/api/conversations/" + cid, {}, 200).at("title").as_string());
    if (title != "please summarise the history of tea") break;
    std::this_thread::sleep_for(50ms);
  }
  EXPECT_NE(title, "please summarise the history of tea");
  EXPECT_FALSE(title.empty());
  // The title request went to the same model, after the answer, asking for a title.
  auto last = fake_->requests().back().at("body_json").as_object();
  EXPECT_NE(boost::json::serialize(last).find("title"), std::string::npos);
  // A conversation the user renamed keeps its name.
  auto cid2 = api_.new_conversation();
  auto [u2, a2] = api_.send(cid2, "another question", R"("model":"oa/fake:tokens=30,delay_ms=20")");
  api_.json("PATCH", "/api/conversations/" + cid2, R"({"title":"Mine"})", 200);
  read_events(api_.port, a2);
  std::this_thread::sleep_for(500ms);
  EXPECT_EQ(api_.json("GET", "/api/conversations/" + cid2, {}, 200).at("title").as_string(),
            "Mine");
}

}  // namespace
}  // namespace chatstream::testing
