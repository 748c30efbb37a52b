// StreamRelay against a scripted provider on a real io_context: first-event handling, encoding,
// coalescing, wake-ups, and cancellation of the upstream when the client goes away.
#include <gtest/gtest.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/strand.hpp>

#include "api/openai/stream_relay.hpp"
#include "fake_provider.hpp"
#include "run_until.hpp"

namespace chatstream::api::openai {
namespace {
namespace asio = boost::asio;
using namespace std::chrono_literals;
using testing::ScriptedProvider;
using testing::Step;

struct Started {
  bool done = false;
  std::optional<providers::StreamError> early;
};

struct Fixture {
  explicit Fixture(std::vector<Step> steps, std::chrono::milliseconds stall = 0ms,
                   bool include_usage = false)
      : provider(std::make_shared<ScriptedProvider>(std::move(steps), stall)),
        relay(std::make_shared<StreamRelay>(
            strand, ChunkEncoder(ChunkIdentity{"chatcmpl-t", 1, "m"}, include_usage, true))) {}

  // `on_relay_strand`: the caller already runs on the relay's strand (as a connection's
  // handler does), so the first event is awaited without a strand hop.
  Started start(std::chrono::milliseconds wait = 1s, bool on_relay_strand = false) {
    Started s;
    asio::any_io_executor ex = on_relay_strand ? strand : asio::any_io_executor(ioc.get_executor());
    asio::co_spawn(ex, StreamRelay::start(relay, provider, providers::ChatRequest{}, wait),
                   [&s](std::exception_ptr e, std::optional<providers::StreamError> r) {
                     EXPECT_FALSE(e);
                     s.early = std::move(r);
                     s.done = true;
                   });
    EXPECT_TRUE(testing::run_until(ioc, [&] { return s.done; }));
    return s;
  }

  asio::io_context ioc;
  asio::any_io_executor strand{asio::make_strand(ioc.get_executor())};
  std::shared_ptr<ScriptedProvider> provider;
  std::shared_ptr<StreamRelay> relay;
};

std::size_t count(const std::string& haystack, std::string_view needle) {
  std::size_t n = 0;
  for (auto pos = haystack.find(needle); pos != std::string::npos;
       pos = haystack.find(needle, pos + 1)) {
    ++n;
  }
  return n;
}

TEST(StreamRelay, RelaysAWholeStreamCoalescedInOnePull) {
  Fixture f({{providers::TextDelta{"Hel"}},
             {providers::TextDelta{"lo"}},
             {providers::Usage{3, 2, std::nullopt, std::nullopt}},
             {providers::Finish{"stop", "stop"}}},
            0ms, true);
  auto s = f.start();
  EXPECT_FALSE(s.early.has_value());
  ASSERT_TRUE(testing::run_until(f.ioc, [&] { return f.relay->provider_done(); }));
  int wakes = 0;
  f.relay->set_waker([&wakes] { ++wakes; });
  EXPECT_EQ(wakes, 1);  // something was already pending
  std::string out;
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_EQ(count(out, "data: "), 6u);  // role, 2 deltas, finish, usage, [DONE]
  EXPECT_NE(out.find(R"("delta":{"role":"assistant","content":"","refusal":null})"),
            std::string::npos);
  EXPECT_LT(out.find(R"("content":"Hel")"), out.find(R"("content":"lo")"));
  EXPECT_NE(out.find(R"("finish_reason":"stop")"), std::string::npos);
  EXPECT_NE(out.find(R"("choices":[],"usage":{"prompt_tokens":3)"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 14), "data: [DONE]\n\n");
}

TEST(StreamRelay, FailureBeforeTheFirstTokenIsReturnedNotStreamed) {
  Fixture f({{providers::Usage{1, 0, std::nullopt, std::nullopt}},
             {providers::StreamError{providers::ErrorKind::http_status, "rate_limit_error",
                                     "slow down", 429, "", true}}});
  auto s = f.start();
  ASSERT_TRUE(s.early.has_value());
  EXPECT_EQ(s.early->http_status, 429);
}

TEST(StreamRelay, StartedOnTheRelaysStrand) {
  Fixture failing({{providers::StreamError{providers::ErrorKind::http_status, "rate_limit_error",
                                           "slow down", 429, "", true},
                    20ms}});
  auto early = failing.start(1s, true);
  ASSERT_TRUE(early.early.has_value());
  EXPECT_EQ(early.early->http_status, 429);

  Fixture f({{providers::TextDelta{"Hi"}, 20ms}, {providers::Finish{"stop", "stop"}}});
  auto s = f.start(1s, true);
  EXPECT_FALSE(s.early.has_value());
  ASSERT_TRUE(testing::run_until(f.ioc, [&] { return f.relay->provider_done(); }));
  std::string out;
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_NE(out.find(R"("content":"Hi")"), std::string::npos);
  EXPECT_EQ(out.substr(out.size() - 14), "data: [DONE]\n\n");
}

TEST(StreamRelay, FailureAfterTheFirstTokenBecomesAnErrorChunk) {
  Fixture f({{providers::TextDelta{"partial"}},
             {providers::StreamError{providers::ErrorKind::truncated, "", "connection lost", 0, "",
                                     false},
              20ms}});
  auto s = f.start();
  EXPECT_FALSE(s.early.has_value());
  ASSERT_TRUE(testing::run_until(f.ioc, [&] { return f.relay->provider_done(); }));
  std::string out;
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_NE(out.find(R"("content":"partial")"), std::string::npos);
  EXPECT_NE(out.find(R"(data: {"error":{"message":"connection lost","type":"api_error")"),
            std::string::npos);
  EXPECT_EQ(out.find("[DONE]"), std::string::npos);
}

TEST(StreamRelay, AfterTheFirstEventWaitFailuresGoInStream) {
  Fixture f({{providers::StreamError{providers::ErrorKind::http_status, "", "bad gateway", 502, "",
                                     false},
              200ms}});
  auto s = f.start(10ms);
  EXPECT_FALSE(s.early.has_value());
  std::string out;
  EXPECT_TRUE(f.relay->pull(out));
  EXPECT_TRUE(out.empty());
  ASSERT_TRUE(testing::run_until(f.ioc, [&] { return f.relay->provider_done(); }));
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_NE(out.find("bad gateway"), std::string::npos);
}

TEST(StreamRelay, WakesOnlyWhenTheBufferBecomesNonEmpty) {
  Fixture f({{providers::TextDelta{"a"}},
             {providers::TextDelta{"b"}, 30ms},
             {providers::TextDelta{"c"}},
             {providers::Finish{"length", "max_tokens"}, 30ms}});
  auto s = f.start();
  EXPECT_FALSE(s.early.has_value());
  int wakes = 0;
  f.relay->set_waker([&wakes] { ++wakes; });
  std::string all;
  std::string out;
  bool more = true;
  int pulls = 0;
  int seen = wakes;
  while (more && pulls < 100) {
    out.clear();
    more = f.relay->pull(out);
    ++pulls;
    all += out;
    if (more) {
      testing::run_until(
          f.ioc, [&] { return wakes != seen; }, 2s);
      seen = wakes;
    }
  }
  EXPECT_FALSE(more);
  EXPECT_LT(all.find(R"("content":"a")"), all.find(R"("content":"b")"));
  EXPECT_LT(all.find(R"("content":"b")"), all.find(R"("content":"c")"));
  EXPECT_NE(all.find(R"("finish_reason":"length")"), std::string::npos);
  EXPECT_LE(wakes, 4);  // set_waker, "b", "c" may share one, finish
}

TEST(StreamRelay, ClientGoneCancelsTheUpstreamAtOnce) {
  Fixture f({{providers::TextDelta{"first"}}}, 60s);
  auto s = f.start();
  EXPECT_FALSE(s.early.has_value());
  std::string out;
  EXPECT_TRUE(f.relay->pull(out));
  EXPECT_NE(out.find("first"), std::string::npos);
  f.relay->on_close();
  ASSERT_TRUE(testing::run_until(
      f.ioc, [&] { return f.relay->provider_done(); }, 5s));
  EXPECT_EQ(f.provider->cancelled.load(), 1);
  out.clear();
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_TRUE(out.empty());  // the cancellation is not reported to a client that left
}

TEST(StreamRelay, ProviderEndingWithoutATerminalEventIsAnError) {
  Fixture f({{providers::TextDelta{"x"}}});
  auto s = f.start();
  EXPECT_FALSE(s.early.has_value());
  ASSERT_TRUE(testing::run_until(f.ioc, [&] { return f.relay->provider_done(); }));
  std::string out;
  EXPECT_FALSE(f.relay->pull(out));
  EXPECT_NE(out.find(R"("error")"), std::string::npos);
}

}  // namespace
}  // namespace chatstream::api::openai
