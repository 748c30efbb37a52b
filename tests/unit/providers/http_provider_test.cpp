#include "providers/http_provider.hpp"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <fstream>
#include <sstream>
#include <thread>

#include "providers/registry.hpp"
#include "providers/wire_request.hpp"
#include "test_server.hpp"

namespace cp = chatstream::providers;
namespace ct = chatstream::testing;
namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr const char* kKey = "sk-test-SECRET-0123456789";

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(CHATSTREAM_SOURCE_DIR) + "/tests/fixtures/upstream/" + name,
                   std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string expected_text(const std::string& name) {
  const auto v = boost::json::parse(fixture(name));
  if (v.as_object().contains("text")) return std::string(v.at("text").as_string());
  return std::string(v.at("content").as_array().at(0).at("text").as_string());
}

// Streams `body` chunked, in small slices so events cross chunk boundaries.
void stream_body(ct::ServerConn& c, const std::string& content_type, const std::string& body) {
  c.write("HTTP/1.1 200 OK\r\nContent-Type: " + content_type +
          "\r\nTransfer-Encoding: chunked\r\n\r\n");
  for (std::size_t i = 0; i < body.size(); i += 37) c.write(ct::chunk(body.substr(i, 37)));
  c.write(ct::kLastChunk);
}

ct::Handler serve_fixture(std::string name, std::string content_type = "text/event-stream") {
  return [name = std::move(name), content_type = std::move(content_type)](ct::ServerConn& c,
                                                                          const ct::RawRequest&) {
    stream_body(c, content_type, fixture(name));
  };
}

cp::ProviderConfig provider_config(const std::string& kind, const ct::TestServer& server) {
  cp::ProviderConfig pc;
  pc.name = kind;
  pc.kind = kind;
  pc.base_url = server.url(kind == "openai" ? "/v1" : "");
  pc.api_key.value = kKey;
  pc.models = {"m1"};
  pc.default_model = "m1";
  pc.headers = {{"X-Extra", "yes"}};
  return pc;
}

cp::HttpClientConfig client_config() {
  cp::HttpClientConfig c;
  c.connect_timeout = 2000ms;
  c.first_byte_timeout = 3000ms;
  c.idle_timeout = 3000ms;
  c.retry.base_delay = 5ms;
  c.retry.max_delay = 20ms;
  return c;
}

struct Run {
  std::vector<cp::Event> events;
  std::string text() const {
    std::string s;
    for (const auto& e : events) {
      if (const auto* t = std::get_if<cp::TextDelta>(&e)) s += t->text;
    }
    return s;
  }
  const cp::StreamError* error() const {
    return events.empty() ? nullptr : std::get_if<cp::StreamError>(&events.back());
  }
  const cp::Finish* finish() const {
    return events.empty() ? nullptr : std::get_if<cp::Finish>(&events.back());
  }
  int terminals() const {
    int n = 0;
    for (const auto& e : events) {
      n += std::holds_alternative<cp::Finish>(e) || std::holds_alternative<cp::StreamError>(e) ? 1
                                                                                               : 0;
    }
    return n;
  }
};

// One io_context per test: pooled connections belong to the context that opened them.
Run run(asio::io_context& io, cp::Provider& p, std::size_t cancel_after_events = 0) {
  io.restart();
  asio::cancellation_signal signal;
  Run r;
  bool done = false;
  cp::ChatRequest req;
  req.model = "m1";
  req.system_prompt = "Be brief.";
  req.messages = {{"user", "Hello there", "", ""}};
  req.temperature = 0.5;
  req.max_tokens = 100;
  req.stop = {"END"};
  auto sink = [&](cp::Event&& e) {
    r.events.push_back(std::move(e));
    if (cancel_after_events > 0 && r.events.size() == cancel_after_events) {
      asio::post(io, [&] { signal.emit(asio::cancellation_type::terminal); });
    }
  };
  asio::co_spawn(io, p.stream_chat(req, sink),
                 asio::bind_cancellation_slot(signal.slot(), [&](std::exception_ptr e) {
                   if (e) std::rethrow_exception(e);
                   done = true;
                 }));
  io.run_for(20s);
  EXPECT_TRUE(done);
  EXPECT_EQ(r.terminals(), 1);
  return r;
}

}  // namespace

TEST(WireRequest, OpenAiBody) {
  cp::ChatRequest r;
  r.model = "gpt";
  r.system_prompt = "sys";
  r.messages = {{"user", "hi", "", ""}};
  r.max_tokens = 5;
  r.stop = {"x"};
  r.tools_json = R"([{"type":"function","function":{"name":"f"}}])";
  r.tool_choice_json = "not json";
  const auto v = boost::json::parse(cp::openai_chat_body(r));
  EXPECT_EQ(v.at("messages").as_array().size(), 2U);
  EXPECT_EQ(v.at("messages").at(0).at("role").as_string(), "system");
  EXPECT_TRUE(v.at("stream").as_bool());
  EXPECT_TRUE(v.at("stream_options").at("include_usage").as_bool());
  EXPECT_EQ(v.at("max_tokens").as_int64(), 5);
  EXPECT_EQ(v.at("tools").as_array().size(), 1U);
  EXPECT_FALSE(v.as_object().contains("tool_choice"));
}

TEST(WireRequest, AnthropicBodyMergesRolesAndSystem) {
  cp::ChatRequest r;
  r.model = "claude";
  r.system_prompt = "sys";
  r.messages = {{"system", "more", "", ""},
                {"user", "a", "", ""},
                {"user", "b", "", ""},
                {"assistant", "c", "", ""}};
  const auto v = boost::json::parse(cp::anthropic_messages_body(r));
  EXPECT_EQ(v.at("system").as_string(), "sys\n\nmore");
  EXPECT_EQ(v.at("max_tokens").as_int64(), 4096);
  ASSERT_EQ(v.at("messages").as_array().size(), 2U);
  EXPECT_EQ(v.at("messages").at(0).at("content").as_array().size(), 2U);
}

TEST(WireRequest, OllamaBodyOptions) {
  cp::ChatRequest r;
  r.model = "llama";
  r.messages = {{"user", "a", "", ""}};
  r.max_tokens = 7;
  const auto v = boost::json::parse(cp::ollama_chat_body(r));
  EXPECT_EQ(v.at("options").at("num_predict").as_int64(), 7);
}

TEST(RetryPolicy, BackoffAndRetryAfter) {
  cp::RetryConfig c;
  c.max_retries = 3;
  c.base_delay = 100ms;
  c.max_delay = 300ms;
  c.max_retry_after = 5000ms;
  EXPECT_EQ(cp::retry_delay(c, 0, std::nullopt, 0.0), 50ms);
  EXPECT_EQ(cp::retry_delay(c, 1, std::nullopt, 0.999).value().count() / 10, 19);
  EXPECT_EQ(cp::retry_delay(c, 2, std::nullopt, 0.0), 150ms);  // capped at 300 before jitter
  EXPECT_FALSE(cp::retry_delay(c, 3, std::nullopt, 0.0));
  EXPECT_EQ(cp::retry_delay(c, 0, 2000ms, 0.5), 2000ms);
  EXPECT_FALSE(cp::retry_delay(c, 0, 6000ms, 0.5));
  const auto now =
      std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(cp::parse_retry_after("250", "7", now), 250ms);
  EXPECT_EQ(cp::parse_retry_after("", "7", now), 7000ms);
  EXPECT_EQ(cp::parse_retry_after("", "Wed, 21 Oct 2015 07:28:03 GMT", now), 3000ms);
  EXPECT_FALSE(cp::parse_retry_after("", "soon", now));
}

TEST(HttpProvider, OpenAiStreamsFixture) {
  asio::io_context io;
  ct::TestServer server(serve_fixture("openai_chat_basic.sse"));
  auto client = std::make_shared<cp::HttpClient>(client_config(), nullptr);
  cp::HttpProvider p(provider_config("openai", server), client);
  for (int i = 0; i < 2; ++i) {
    const auto r = run(io, p);
    EXPECT_EQ(r.text(), expected_text("openai_chat_basic.expected.json"));
    ASSERT_NE(r.finish(), nullptr);
    EXPECT_EQ(r.finish()->reason, "stop");
    ASSERT_GE(r.events.size(), 2U);
    ASSERT_TRUE(std::holds_alternative<cp::Usage>(r.events[r.events.size() - 2]));
    EXPECT_EQ(std::get<cp::Usage>(r.events[r.events.size() - 2]).completion_tokens, 19);
  }
  EXPECT_EQ(server.connections(), 1);  // keep-alive reuse across generations
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 2U);
  EXPECT_EQ(reqs[0].head.substr(0, 29), "POST /v1/chat/completions HTT");
  EXPECT_EQ(reqs[0].header("authorization"), std::string("Bearer ") + kKey);
  EXPECT_EQ(reqs[0].header("x-extra"), "yes");
  const auto body = boost::json::parse(reqs[0].body);
  EXPECT_EQ(body.at("model").as_string(), "m1");
  EXPECT_EQ(body.at("stop").at(0).as_string(), "END");
}

TEST(HttpProvider, AnthropicStreamsFixture) {
  asio::io_context io;
  ct::TestServer server(serve_fixture("anthropic_basic.sse"));
  cp::HttpProvider p(provider_config("anthropic", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  EXPECT_EQ(r.text(), expected_text("anthropic_basic.expected.json"));
  ASSERT_NE(r.finish(), nullptr);
  EXPECT_EQ(r.finish()->raw, "end_turn");
  const auto reqs = server.requests();
  ASSERT_EQ(reqs.size(), 1U);
  EXPECT_EQ(reqs[0].head.substr(0, 18), "POST /v1/messages ");
  EXPECT_EQ(reqs[0].header("x-api-key"), kKey);
  EXPECT_EQ(reqs[0].header("anthropic-version"), "2023-06-01");
}

TEST(HttpProvider, OllamaStreamsFixture) {
  asio::io_context io;
  ct::TestServer server(serve_fixture("ollama_chat_basic.ndjson", "application/x-ndjson"));
  cp::HttpProvider p(provider_config("ollama", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  EXPECT_EQ(r.text(), expected_text("ollama_chat_basic.expected.json"));
  ASSERT_NE(r.finish(), nullptr);
  EXPECT_EQ(server.requests().at(0).head.substr(0, 15), "POST /api/chat ");
}

TEST(HttpProvider, TruncatedStreamIsAnError) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    std::string body = fixture("openai_chat_basic.sse");
    stream_body(c, "text/event-stream", body.substr(0, body.size() / 2));  // clean end, no [DONE]
  });
  cp::HttpProvider p(provider_config("openai", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::truncated);
  EXPECT_FALSE(r.text().empty());
  EXPECT_EQ(server.requests().size(), 1U);  // never retried after tokens
}

TEST(HttpProvider, RetriesRateLimitBeforeFirstToken) {
  asio::io_context io;
  std::atomic<int> calls{0};
  ct::TestServer server([&](ct::ServerConn& c, const ct::RawRequest& r) {
    if (calls++ == 0) {
      const std::string body = fixture("openai_http_error_429.json");
      c.write(
          "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nretry-after-ms: "
          "20\r\n"
          "Content-Length: " +
          std::to_string(body.size()) + "\r\n\r\n" + body);
      return;
    }
    serve_fixture("openai_chat_basic.sse")(c, r);
  });
  cp::HttpProvider p(provider_config("openai", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  EXPECT_NE(r.finish(), nullptr);
  EXPECT_EQ(r.text(), expected_text("openai_chat_basic.expected.json"));
  EXPECT_EQ(calls.load(), 2);
}

TEST(HttpProvider, GivesUpAfterMaxRetries) {
  asio::io_context io;
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    const std::string body = fixture("anthropic_http_error_529.json");
    c.write("HTTP/1.1 529 Overloaded\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  cp::HttpProvider p(provider_config("anthropic", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::http_status);
  EXPECT_EQ(r.error()->http_status, 529);
  EXPECT_EQ(r.error()->type, "overloaded_error");
  EXPECT_TRUE(r.error()->retryable);
  EXPECT_EQ(server.requests().size(), 3U);  // 1 + max_retries (2)
}

TEST(HttpProvider, ClientErrorIsNotRetriedAndKeyIsRedacted) {
  asio::io_context io;
  std::ostringstream logs;
  auto logger = std::make_shared<spdlog::logger>(
      "test", std::make_shared<spdlog::sinks::ostream_sink_mt>(logs));
  logger->set_level(spdlog::level::trace);
  ct::TestServer server([](ct::ServerConn& c, const ct::RawRequest&) {
    const std::string body = std::string(R"({"error":{"message":"Incorrect API key provided: )") +
                             kKey +
                             R"(","type":"invalid_request_error","code":"invalid_api_key"}})";
    c.write("HTTP/1.1 401 Unauthorized\r\nContent-Type: application/json\r\nContent-Length: " +
            std::to_string(body.size()) + "\r\n\r\n" + body);
  });
  auto pc = provider_config("openai", server);
  cp::Registry registry({pc}, client_config(), logger);
  auto resolved = registry.resolve("openai/m1");
  ASSERT_TRUE(resolved);
  const auto r = run(io, *resolved->provider);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->http_status, 401);
  EXPECT_FALSE(r.error()->retryable);
  EXPECT_EQ(r.error()->message.find(kKey), std::string::npos);
  EXPECT_EQ(server.requests().size(), 1U);
  logger->flush();
  EXPECT_FALSE(logs.str().empty());
  EXPECT_EQ(logs.str().find(kKey), std::string::npos) << logs.str();
  EXPECT_EQ(logs.str().find("SECRET"), std::string::npos);
}

TEST(HttpProvider, ConnectErrorsAreRetriedThenReported) {
  asio::io_context io;
  unsigned short port = 0;
  {
    ct::TestServer gone(serve_fixture("openai_chat_basic.sse"));
    port = gone.port();
  }
  cp::ProviderConfig pc;
  pc.name = "x";
  pc.kind = "openai";
  pc.base_url = "http://127.0.0.1:" + std::to_string(port) + "/v1";
  pc.models = {"m1"};
  cp::HttpProvider p(pc, std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::connect);
}

TEST(HttpProvider, CancelClosesUpstreamAndEndsWithCancelled) {
  asio::io_context io;
  std::atomic<bool> saw_close{false};
  ct::TestServer server([&](ct::ServerConn& c, const ct::RawRequest&) {
    c.write(
        "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n");
    c.write(ct::chunk("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"}}]}\n\n"));
    saw_close = c.wait_peer_close(5000ms);
    c.close();
  });
  cp::HttpProvider p(provider_config("openai", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p, 1);
  ASSERT_NE(r.error(), nullptr);
  EXPECT_EQ(r.error()->kind, cp::ErrorKind::cancelled);
  EXPECT_EQ(r.text(), "Hi");
  for (int i = 0; i < 500 && !saw_close; ++i) std::this_thread::sleep_for(10ms);
  EXPECT_TRUE(saw_close);
}

TEST(Registry, ResolvesModelsAndDefaults) {
  cp::ProviderConfig a;
  a.name = "a";
  a.kind = "openai";
  a.base_url = "http://127.0.0.1:1/v1";
  a.models = {"shared", "only-a"};
  a.default_model = "only-a";
  cp::ProviderConfig b = a;
  b.name = "b";
  b.models = {"shared"};
  b.default_model = "shared";
  cp::ProviderConfig sim;
  sim.name = "simulated";
  sim.kind = "simulated";
  cp::Registry reg({a, b, sim}, {}, nullptr);
  EXPECT_EQ(reg.default_model(), "only-a");
  EXPECT_EQ(reg.resolve("shared")->provider->name(), "a");
  EXPECT_EQ(reg.resolve("b/shared")->provider->name(), "b");
  EXPECT_EQ(reg.resolve("b/unlisted")->model, "unlisted");
  EXPECT_EQ(reg.resolve("simulated")->provider->kind(), "simulated");
  EXPECT_FALSE(reg.resolve("nope"));
  const auto models = reg.models();
  ASSERT_EQ(models.size(), 4U);
  EXPECT_EQ(models[0].id, "a/shared");
  EXPECT_EQ(models[2].id, "b/shared");
  EXPECT_TRUE(models[3].simulated);

  cp::Registry only_sim(cp::provider_configs_from(nullptr, {}), {}, nullptr);
  EXPECT_EQ(only_sim.default_model(), "simulated");
  EXPECT_EQ(only_sim.http_client(), nullptr);
}

TEST(HttpProvider, CompatibleServerWithoutStreamOptionsSupport) {
  std::atomic<int> calls{0};
  ct::TestServer server([&](ct::ServerConn& c, const ct::RawRequest& r) {
    ++calls;
    if (r.body.find("stream_options") != std::string::npos) {
      const std::string body =
          R"({"error":{"message":"Unrecognized request argument supplied: stream_options",)"
          R"("type":"invalid_request_error"}})";
      c.write("HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\nContent-Length: " +
              std::to_string(body.size()) + "\r\n\r\n" + body);
      return;
    }
    serve_fixture("openai_chat_basic.sse")(c, r);
  });
  asio::io_context io;
  cp::HttpProvider p(provider_config("openai", server),
                     std::make_shared<cp::HttpClient>(client_config(), nullptr));
  const auto r = run(io, p);
  EXPECT_NE(r.finish(), nullptr);
  EXPECT_EQ(calls.load(), 2);
}
