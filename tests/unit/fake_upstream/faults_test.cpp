// Fault injection, error statuses and fixture replay.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <filesystem>

#include "harness.hpp"

namespace fake_test {
namespace {

namespace json = boost::json;

class Faults : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { fake_ = new FakeProcess(); }
  static void TearDownTestSuite() {
    delete fake_;
    fake_ = nullptr;
  }
  unsigned short port() const { return fake_->port(); }
  static inline FakeProcess* fake_ = nullptr;
};

const Headers kAnthropic{{"x-api-key", "k"}, {"anthropic-version", "2023-06-01"}};

std::size_t count(const std::string& s, const std::string& needle) {
  std::size_t n = 0;
  for (auto p = s.find(needle); p != std::string::npos; p = s.find(needle, p + 1)) ++n;
  return n;
}

TEST_F(Faults, ResetAfterSendsRst) {
  Client c(port());
  auto r = c.post("/v1/chat/completions", chat_body("fake:tokens=10,fault=reset_after:3", true));
  EXPECT_FALSE(r.complete());
  EXPECT_NE(r.error.find("reset"), std::string::npos) << r.error;
  EXPECT_EQ(count(r.body, "\"content\":"), 4u);  // role chunk + 3 tokens
  auto rec = wait_for_outcome(port());
  EXPECT_EQ(rec.at("outcome"), "reset");
  EXPECT_EQ(rec.at("tokens_sent"), 3);
}

TEST_F(Faults, CloseAfterEndsBodyWithoutTerminalMarker) {
  Client c(port());
  auto r = c.post("/v1/messages", chat_body("m", true),
                  {{"x-api-key", "k"},
                   {"anthropic-version", "2023-06-01"},
                   {"X-Fake-Tokens", "5"},
                   {"X-Fake-Close-After", "2"}});
  EXPECT_TRUE(r.complete()) << r.error;  // the HTTP body ends properly
  auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 5u);  // start, block start, ping, 2 deltas
  EXPECT_EQ(events.back().event, "content_block_delta");
  EXPECT_EQ(r.body.find("message_stop"), std::string::npos);
  std::string error;
  EXPECT_EQ(c.read_to_end(error), "");  // and then the connection is closed
  EXPECT_EQ(wait_for_outcome(port()).at("outcome"), "closed");
}

TEST_F(Faults, EofAfterTruncatesTheChunkedBody) {
  Client c(port());
  auto r = c.post("/api/chat", chat_body("fake:tokens=5,eof_after=1", true));
  EXPECT_FALSE(r.complete());
  EXPECT_EQ(split_lines(r.body).size(), 1u);
  EXPECT_EQ(wait_for_outcome(port()).at("outcome"), "eof");
}

TEST_F(Faults, MalformedAfterSendsOneBrokenChunkThenContinues) {
  Client c(port());
  auto r = c.post("/v1/chat/completions", chat_body("fake:tokens=4,malformed_after=2", true));
  ASSERT_TRUE(r.complete()) << r.error;
  auto events = parse_sse(r.body);
  ASSERT_EQ(events.size(), 1u + 4u + 1u + 1u + 1u);
  std::size_t broken = 0;
  for (std::size_t i = 0; i + 1 < events.size(); ++i) {
    boost::system::error_code ec;
    json::parse(events[i].data, ec);
    if (ec) {
      ++broken;
      EXPECT_EQ(i, 3u);  // role, token 0, token 1, then the broken one
    }
  }
  EXPECT_EQ(broken, 1u);
  EXPECT_EQ(events.back().data, "[DONE]");
}

struct StatusCase {
  std::string path;
  unsigned status;
  std::string error_type;  // OpenAI error.type / Anthropic error.type / "" for Ollama
};

TEST_F(Faults, ErrorStatusBodiesPerProvider) {
  const std::vector<StatusCase> cases{
      {"/v1/chat/completions", 401, "invalid_request_error"},
      {"/v1/chat/completions", 404, "invalid_request_error"},
      {"/v1/chat/completions", 429, "requests"},
      {"/v1/chat/completions", 500, "server_error"},
      {"/v1/chat/completions", 503, "server_error"},
      {"/v1/messages", 401, "authentication_error"},
      {"/v1/messages", 404, "not_found_error"},
      {"/v1/messages", 429, "rate_limit_error"},
      {"/v1/messages", 500, "api_error"},
      {"/v1/messages", 529, "overloaded_error"},
      {"/api/chat", 404, ""},
      {"/api/chat", 500, ""},
  };
  Client c(port());
  for (const auto& tc : cases) {
    SCOPED_TRACE(tc.path + " " + std::to_string(tc.status));
    auto r =
        c.post(tc.path, chat_body("fake:status=" + std::to_string(tc.status), true), kAnthropic);
    ASSERT_EQ(r.status, tc.status);
    EXPECT_EQ(r.headers["content-type"].rfind("application/json", 0), 0u);
    auto v = json::parse(r.body);
    if (tc.path == "/api/chat") {
      EXPECT_TRUE(v.at("error").is_string());
    } else if (tc.path == "/v1/messages") {
      EXPECT_EQ(v.at("type"), "error");
      EXPECT_EQ(v.at("error").at("type").as_string(), tc.error_type);
      EXPECT_EQ(v.at("request_id").as_string(), r.headers["request-id"]);
    } else {
      EXPECT_EQ(v.at("error").at("type").as_string(), tc.error_type);
      EXPECT_TRUE(v.at("error").at("param").is_null());
      EXPECT_FALSE(r.headers["x-request-id"].empty());
    }
  }
}

TEST_F(Faults, RetryHeaders) {
  Client c(port());
  auto r = c.post("/v1/chat/completions", chat_body("fake:status=429,retry_after=7", true));
  EXPECT_EQ(r.headers["retry-after"], "7");
  EXPECT_EQ(r.headers["retry-after-ms"], "7000");
  EXPECT_EQ(r.headers["x-should-retry"], "true");
  auto a = c.post("/v1/messages", chat_body("fake:status=529", true), kAnthropic);
  EXPECT_EQ(a.headers["x-should-retry"], "true");
  auto u = c.post("/v1/messages", chat_body("fake:status=401", true), kAnthropic);
  EXPECT_EQ(u.headers["x-should-retry"], "false");
}

TEST_F(Faults, FailFirstThenSucceed) {
  Client c(port());
  const Headers h{
      {"X-Fake-Key", "fail-first-scenario"}, {"X-Fake-Fail-First", "2"}, {"X-Fake-Status", "503"}};
  EXPECT_EQ(c.post("/v1/chat/completions", chat_body("m", true), h).status, 503u);
  EXPECT_EQ(c.post("/v1/chat/completions", chat_body("m", true), h).status, 503u);
  auto ok = c.post("/v1/chat/completions", chat_body("m", true), h);
  EXPECT_EQ(ok.status, 200u);
  EXPECT_NE(ok.body.find("[DONE]"), std::string::npos);
  // Another key has its own counter.
  EXPECT_EQ(
      c.post("/v1/chat/completions", chat_body("fake:fail_first=1,status=429,key=other", true))
          .status,
      429u);
}

TEST_F(Faults, ExpectKey) {
  Client c(port());
  auto wrong = c.post("/v1/chat/completions", chat_body("fake:expect_key=sk-good", true),
                      {{"Authorization", "Bearer sk-bad"}});
  EXPECT_EQ(wrong.status, 401u);
  EXPECT_EQ(json::parse(wrong.body).at("error").at("code"), "invalid_api_key");
  auto right = c.post("/v1/chat/completions", chat_body("fake:expect_key=sk-good", true),
                      {{"Authorization", "Bearer sk-good"}});
  EXPECT_EQ(right.status, 200u);
  auto anth = c.post("/v1/messages", chat_body("fake:expect_key=ak", true),
                     {{"x-api-key", "ak"}, {"anthropic-version", "2023-06-01"}});
  EXPECT_EQ(anth.status, 200u);
}

TEST_F(Faults, EveryFixtureReplaysByteExact) {
  std::size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures_dir())) {
    const std::string name = entry.path().filename().string();
    if (name.find(".expected.") != std::string::npos || name == "README.md") continue;
    SCOPED_TRACE(name);
    Client c(port());
    auto r = c.post("/v1/chat/completions", chat_body("m", true), {{"X-Fake-Fixture", name}});
    ASSERT_TRUE(r.complete()) << r.error;
    EXPECT_EQ(r.status, 200u);
    EXPECT_EQ(r.body, read_file(entry.path().string()));
    const std::string ext = entry.path().extension().string();
    if (ext == ".sse") {
      EXPECT_EQ(r.headers["content-type"], "text/event-stream; charset=utf-8");
    }
    if (ext == ".ndjson") {
      EXPECT_EQ(r.headers["content-type"], "application/x-ndjson");
    }
    ++n;
  }
  EXPECT_GE(n, 10u);
}

TEST_F(Faults, PacedFixtureIsStillByteExactAndCanFail) {
  Client c(port());
  const std::string file = fixtures_dir() + "/openai_chat_crlf_and_comments.sse";
  auto r = c.post("/v1/chat/completions",
                  chat_body("fake:fixture=openai_chat_crlf_and_comments.sse,delay_ms=1", true));
  EXPECT_EQ(r.body, read_file(file));
  auto cut = c.post("/v1/chat/completions",
                    chat_body("fake:fixture=anthropic_basic.sse,reset_after=2", true));
  EXPECT_FALSE(cut.complete());
  EXPECT_EQ(parse_sse(cut.body).size(), 2u);
}

TEST_F(Faults, FixtureWithErrorStatus) {
  Client c(port());
  auto r =
      c.post("/v1/messages",
             chat_body("fake:fixture=anthropic_http_error_529.json,status=529", true), kAnthropic);
  EXPECT_EQ(r.status, 529u);
  EXPECT_EQ(r.body, read_file(fixtures_dir() + "/anthropic_http_error_529.json"));
  EXPECT_EQ(r.headers["x-should-retry"], "true");
}

TEST_F(Faults, TrickleSendsOneByteAtATime) {
  Client c(port());
  const std::string name = "ollama_chat_basic.ndjson";
  auto r = c.post("/api/chat", chat_body("m", true),
                  {{"X-Fake-Fixture", name}, {"X-Fake-Trickle", "1"}, {"X-Fake-Trickle-Us", "50"}});
  ASSERT_TRUE(r.complete()) << r.error;
  EXPECT_EQ(r.body, read_file(fixtures_dir() + "/" + name));
  EXPECT_GT(c.reads(), r.body.size() / 4);  // far more reads than a normal response needs
}

TEST_F(Faults, DelaysStillProduceTheWholeStream) {
  Client c(port());
  auto r = c.post("/v1/chat/completions",
                  chat_body("fake:tokens=3,header_delay_ms=20,first_token_delay_ms=20,delay_ms=5,"
                            "jitter_ms=5",
                            true));
  ASSERT_TRUE(r.complete());
  EXPECT_EQ(parse_sse(r.body).size(), 1u + 3u + 1u + 1u);
}

}  // namespace
}  // namespace fake_test
