// The REST API and live generations against the real server with the simulated model:
// send → stream → saved, resume, multiple subscribers, grace period, cancel, validation.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/socket.h>

#include <fstream>
#include <thread>

#include "api_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;

// A simulated model fast enough for tests but still streaming token by token.
std::string fast_config(const TempDir& dir, int tokens_per_second = 400) {
  auto path = dir.path() / "chatstream.toml";
  std::ofstream(path) << "[[providers]]\nname = \"simulated\"\nkind = \"simulated\"\n"
                      << "tokens_per_second = " << tokens_per_second
                      << "\nfirst_token_delay_ms = 20\njitter = 0.2\n";
  return path.string();
}

class ApiTest : public ::testing::Test {
 protected:
  void start(std::vector<std::string> args = {}, int tokens_per_second = 400) {
    args.insert(args.begin(), {"--config", fast_config(dir_, tokens_per_second)});
    server_ = std::make_unique<ChatstreamServer>(std::move(args));
    api_.port = server_->port();
  }
  TempDir dir_;
  std::unique_ptr<ChatstreamServer> server_;
  Api api_{0};
};

TEST_F(ApiTest, SendStreamAndSave) {
  start();
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Show me a markdown table of planets");
  auto stream = read_events(api_.port, mid);
  ASSERT_EQ(stream.terminal_event, "done") << stream.raw;
  ASSERT_GT(stream.deltas.size(), 10u);
  for (std::size_t i = 0; i < stream.deltas.size(); ++i) {
    EXPECT_EQ(stream.deltas[i].seq, i + 1);
  }
  EXPECT_EQ(stream.terminal.at("status").as_string(), "complete");
  EXPECT_EQ(stream.terminal.at("last_seq").as_int64(),
            static_cast<std::int64_t>(stream.deltas.size()));
  auto saved = api_.message(cid, mid);
  EXPECT_EQ(saved.at("status").as_string(), "complete");
  EXPECT_EQ(saved.at("content").as_string(), stream.text());
  EXPECT_EQ(saved.at("parent_id").as_string(), uid);
  EXPECT_EQ(saved.at("finish_reason").as_string(), "stop");
  EXPECT_GT(saved.at("usage").at("completion_tokens").as_int64(), 0);
  EXPECT_FALSE(saved.at("ttft_ms").is_null());
  auto conv = api_.json("GET", "/api/conversations/" + cid, {}, 200);
  EXPECT_EQ(conv.at("title").as_string(), "Show me a markdown table of planets");
  EXPECT_EQ(conv.at("current_leaf_id").as_string(), mid);
  auto list = api_.json("GET", "/api/conversations", {}, 200);
  EXPECT_EQ(list.at("conversations").as_array().size(), 1u);
}

TEST_F(ApiTest, ResumeWithLastEventIdGetsExactlyTheRest) {
  start({}, 60);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Explain streaming in a few paragraphs");
  std::string first_part;
  {
    RawConnection c(api_.port);  // HTTP/1.0: close-delimited, easy to cut anywhere
    c.send("GET /api/messages/" + mid + "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
    first_part = c.read_until("id: 5\n", 20s);
    first_part += c.read_until("\n\n", 5s);
  }  // disconnect mid-stream
  auto head_end = first_part.find("\r\n\r\n");
  ASSERT_NE(head_end, std::string::npos);
  auto before = parse_stream(first_part.substr(head_end + 4));
  ASSERT_GE(before.deltas.size(), 5u);
  const auto k = before.deltas.back().seq;
  // Two resuming subscribers at once (a refreshed tab and a second device) and one from 0.
  StreamResult a, b, full;
  std::thread ta(
      [&] { a = read_events(api_.port, mid, "Last-Event-ID: " + std::to_string(k) + "\r\n"); });
  std::thread tb(
      [&] { b = read_events(api_.port, mid, "Last-Event-ID: " + std::to_string(k) + "\r\n"); });
  std::thread tf([&] { full = read_events(api_.port, mid); });
  ta.join();
  tb.join();
  tf.join();
  ASSERT_EQ(a.terminal_event, "done");
  ASSERT_FALSE(a.deltas.empty());
  EXPECT_EQ(a.deltas.front().seq, k + 1);  // no gap, no duplicate
  for (std::size_t i = 1; i < a.deltas.size(); ++i)
    EXPECT_EQ(a.deltas[i].seq, a.deltas[i - 1].seq + 1);
  EXPECT_EQ(a.raw, b.raw);  // identical streams for every subscriber
  EXPECT_EQ(before.text() + a.text(), full.text());
  EXPECT_EQ(full.text(), api_.message(cid, mid).at("content").as_string());
  // The same with ?after=
  auto q = read_events(api_.port, mid, {}, "?after=" + std::to_string(k));
  EXPECT_EQ(q.text(), a.text());
}

// With one thread the generation writes to its subscribers from inside its append (no hop
// through the scheduler). Subscribers that vanish mid-stream (reset, or a plain close) are
// dropped there or by their read watch, whichever sees it first; the ones that stay get the
// whole, identical stream, equal to what was saved.
TEST_F(ApiTest, OneThreadSubscribersLeavingMidStreamLeaveTheOthersWhole) {
  start({"--threads", "1"}, 1000);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Tell me a long story about streams");
  const std::string request =
      "GET /api/messages/" + mid + "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
  std::vector<std::unique_ptr<RawConnection>> stayers, leavers;
  for (int i = 0; i < 3; ++i) {
    stayers.push_back(std::make_unique<RawConnection>(api_.port));
    stayers.back()->send(request);
  }
  for (int i = 0; i < 6; ++i) {
    leavers.push_back(std::make_unique<RawConnection>(api_.port));
    leavers.back()->send(request);
  }
  std::vector<std::string> data(stayers.size());
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  std::size_t open = stayers.size();
  int next_leaver = 0;
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < stayers.size(); ++i) {
      if (!stayers[i]) continue;
      auto part = stayers[i]->read_some(5ms);
      if (!part) {
        stayers[i].reset();
        --open;
      } else {
        data[i] += *part;
      }
    }
    // One leaver goes every few deltas: odd ones with a reset, even ones with a close.
    if (next_leaver < static_cast<int>(leavers.size()) &&
        data[0].find("id: " + std::to_string(3 + 3 * next_leaver) + "\n") != std::string::npos) {
      auto& l = leavers[static_cast<std::size_t>(next_leaver)];
      l->read_some(0ms);
      if (next_leaver % 2 == 1) {
        linger reset{1, 0};
        ::setsockopt(l->fd(), SOL_SOCKET, SO_LINGER, &reset, sizeof reset);
      }
      l.reset();
      ++next_leaver;
    }
  }
  ASSERT_EQ(open, 0u);
  EXPECT_EQ(next_leaver, static_cast<int>(leavers.size()));
  std::vector<StreamResult> streams;
  for (const auto& d : data) {
    auto head_end = d.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    streams.push_back(parse_stream(d.substr(head_end + 4)));
  }
  const auto saved = api_.message(cid, mid);
  EXPECT_EQ(saved.at("status").as_string(), "complete");
  for (const auto& s : streams) {
    ASSERT_EQ(s.terminal_event, "done");
    ASSERT_FALSE(s.deltas.empty());
    for (std::size_t i = 0; i < s.deltas.size(); ++i) EXPECT_EQ(s.deltas[i].seq, i + 1);
    EXPECT_EQ(s.raw, streams.front().raw);
    EXPECT_EQ(s.text(), saved.at("content").as_string());
  }
  EXPECT_EQ(http_request(api_.port, "GET", "/healthz").status, 200);
}

TEST_F(ApiTest, LiveStateOfAStreamingMessageResumesWithoutGapOrDuplicate) {
  start({}, 80);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Tell me about rivers");
  std::this_thread::sleep_for(400ms);
  auto m = api_.message(cid, mid);  // what a refreshed page loads
  ASSERT_EQ(m.at("status").as_string(), "streaming");
  auto seq = m.at("delta_seq").as_int64();
  std::string shown(m.at("content").as_string());
  auto rest = read_events(api_.port, mid, {}, "?after=" + std::to_string(seq));
  ASSERT_EQ(rest.terminal_event, "done");
  EXPECT_EQ(shown + rest.text(), api_.message(cid, mid).at("content").as_string());
}

TEST_F(ApiTest, AfterTheEndInsideAndAfterTheGracePeriod) {
  start({"--generation-grace", "300ms"});
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "hello");
  auto live = read_events(api_.port, mid);
  ASSERT_EQ(live.terminal_event, "done");
  auto inside = read_events(api_.port, mid);  // from the in-memory log
  EXPECT_EQ(inside.raw, live.raw);
  std::this_thread::sleep_for(1500ms);  // the sweeper evicts the log
  auto stored = read_events(api_.port, mid);
  ASSERT_EQ(stored.terminal_event, "done");
  ASSERT_EQ(stored.deltas.size(), 1u);
  EXPECT_EQ(stored.deltas[0].seq, live.deltas.size());
  EXPECT_EQ(stored.text(), live.text());
  EXPECT_EQ(stored.terminal.at("status").as_string(), "complete");
  auto caught_up =
      read_events(api_.port, mid, "Last-Event-ID: " + std::to_string(live.deltas.size()) + "\r\n");
  EXPECT_TRUE(caught_up.deltas.empty());
  EXPECT_EQ(caught_up.terminal_event, "done");
}

TEST_F(ApiTest, CancelWithShownSavesExactlyWhatWasShown) {
  start({}, 30);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Tell me a long story");
  RawConnection c(api_.port);
  c.send("GET /api/messages/" + mid + "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  auto got = c.read_until("id: 4\n", 20s);
  got += c.read_until("\n\n", 5s);
  auto seen = parse_stream(got.substr(got.find("\r\n\r\n") + 4));
  ASSERT_GE(seen.deltas.size(), 4u);
  std::string shown_text;
  for (std::size_t i = 0; i < 3; ++i) shown_text += seen.deltas[i].text;
  auto r = api_.json("POST", "/api/messages/" + mid + "/cancel", R"({"shown":3})", 200);
  EXPECT_EQ(r.at("status").as_string(), "cancelled");
  EXPECT_EQ(r.at("content").as_string(), shown_text);
  EXPECT_EQ(r.at("delta_seq").as_int64(), 3);
  auto rest = c.read_until("event: done", 10s);
  EXPECT_NE(rest.find("\"status\":\"cancelled\""), std::string::npos) << rest;
  // Cancelling again is harmless and answers the saved message.
  auto again = api_.json("POST", "/api/messages/" + mid + "/cancel", "", 200);
  EXPECT_EQ(again.at("content").as_string(), shown_text);
}

TEST_F(ApiTest, CancelWithoutShownKeepsEverythingGenerated) {
  start({}, 30);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Tell me a long story");
  std::this_thread::sleep_for(500ms);
  auto r = api_.json("POST", "/api/messages/" + mid + "/cancel", "{}", 200);
  EXPECT_EQ(r.at("status").as_string(), "cancelled");
  auto replay = read_events(api_.port, mid);
  EXPECT_EQ(replay.text(), r.at("content").as_string());
  EXPECT_FALSE(replay.text().empty());
}

TEST_F(ApiTest, RegenerateAndEditCreateSiblings) {
  start();
  auto cid = api_.new_conversation();
  auto [u1, a1] = api_.send(cid, "hello");
  read_events(api_.port, a1);
  auto regen = api_.json("POST", "/api/messages/" + a1 + "/regenerate", "{}", 201);
  std::string a2(regen.at("assistant_message").at("id").as_string());
  EXPECT_EQ(regen.at("assistant_message").at("parent_id").as_string(), u1);
  read_events(api_.port, a2);
  // Edit: a new user message with the old one's parent (the root: null).
  auto [u2, a3] = api_.send(cid, "hello again", R"("parent_id":null)");
  read_events(api_.port, a3);
  auto conv = api_.json("GET", "/api/conversations/" + cid, {}, 200);
  EXPECT_EQ(conv.at("current_leaf_id").as_string(), a3);
  int roots = 0, answers_to_u1 = 0;
  for (const auto& m : conv.at("messages").as_array()) {
    if (m.at("parent_id").is_null()) ++roots;
    if (!m.at("parent_id").is_null() && m.at("parent_id").as_string() == u1) ++answers_to_u1;
  }
  EXPECT_EQ(roots, 2);
  EXPECT_EQ(answers_to_u1, 2);
  // Switch back to the first branch.
  auto patched =
      api_.json("PATCH", "/api/conversations/" + cid, R"({"current_leaf_id":")" + a2 + "\"}", 200);
  EXPECT_EQ(patched.at("current_leaf_id").as_string(), a2);
  // A follow-up continues that branch.
  auto [u3, a4] = api_.send(cid, "and then?");
  EXPECT_EQ(api_.message(cid, u3).at("parent_id").as_string(), a2);
  read_events(api_.port, a4);
}

TEST_F(ApiTest, ConversationCrudExportAndPagination) {
  start();
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    ids.push_back(std::string(api_.json("POST", "/api/conversations",
                                        R"({"title":"Chat )" + std::to_string(i) + "\"}", 201)
                                  .at("id")
                                  .as_string()));
  }
  auto page1 = api_.json("GET", "/api/conversations?limit=2", {}, 200);
  ASSERT_EQ(page1.at("conversations").as_array().size(), 2u);
  EXPECT_EQ(page1.at("conversations").at(0).at("id").as_string(), ids[4]);
  std::string cursor(page1.at("next_before").as_string());
  auto page2 = api_.json("GET", "/api/conversations?limit=2&before=" + cursor, {}, 200);
  EXPECT_EQ(page2.at("conversations").at(0).at("id").as_string(), ids[2]);
  auto search = api_.json("GET", "/api/conversations?q=chat%203", {}, 200);
  ASSERT_EQ(search.at("conversations").as_array().size(), 1u);
  auto renamed = api_.json("PATCH", "/api/conversations/" + ids[0],
                           R"({"title":"Renamed","system_prompt":"Be brief."})", 200);
  EXPECT_EQ(renamed.at("title").as_string(), "Renamed");
  auto [u, a] = api_.send(ids[0], "hello");
  read_events(api_.port, a);
  auto md = api_.call("GET", "/api/conversations/" + ids[0] + "/export?format=md");
  EXPECT_EQ(md.status, 200);
  EXPECT_NE(md.body.find("# Renamed"), std::string::npos);
  EXPECT_NE(md.body.find("## You\n\nhello"), std::string::npos);
  auto js = api_.json("GET", "/api/conversations/" + ids[0] + "/export?format=json", {}, 200);
  EXPECT_EQ(js.at("messages").as_array().size(), 2u);
  EXPECT_EQ(api_.call("DELETE", "/api/conversations/" + ids[0]).status, 204);
  EXPECT_EQ(api_.call("GET", "/api/conversations/" + ids[0]).status, 404);
  EXPECT_EQ(api_.call("DELETE", "/api/conversations/" + ids[0]).status, 404);
  EXPECT_EQ(api_.call("GET", "/api/messages/" + a + "/events").status, 404);
}

void expect_error(const HttpResponse& r, int status, const std::string& code) {
  EXPECT_EQ(r.status, status) << r.body;
  auto v = boost::json::parse(r.body);
  EXPECT_EQ(v.at("error").at("code").as_string(), code) << r.body;
}

TEST_F(ApiTest, ValidationErrors) {
  start({"--max-message-bytes", "100"});
  auto cid = api_.new_conversation();
  const std::string post = "/api/conversations/" + cid + "/messages";
  expect_error(api_.call("POST", post, "{not json"), 400, "invalid_json");
  expect_error(api_.call("POST", post, "[1]"), 400, "invalid_json");
  expect_error(api_.call("POST", post, "{}"), 422, "empty_content");
  expect_error(api_.call("POST", post, R"({"content":"   "})"), 422, "empty_content");
  expect_error(api_.call("POST", post, R"({"content":42})"), 422, "invalid_field");
  expect_error(api_.call("POST", post, R"({"content":")" + std::string(200, 'x') + "\"}"), 413,
               "message_too_long");
  expect_error(api_.call("POST", post, R"({"content":"hi","model":"nope"})"), 422,
               "model_not_found");
  expect_error(
      api_.call("POST", post, R"({"content":"hi","parent_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"})"), 422,
      "invalid_parent");
  expect_error(api_.call("POST", "/api/conversations/01ARZ3NDEKTSV4RRFFQ69G5FAV/messages",
                         R"({"content":"hi"})"),
               404, "not_found");
  expect_error(api_.call("GET", "/api/conversations/not-an-id"), 404, "not_found");
  expect_error(api_.call("GET", "/api/messages/01ARZ3NDEKTSV4RRFFQ69G5FAV/events"), 404,
               "not_found");
  expect_error(api_.call("GET", "/api/conversations?limit=0"), 422, "invalid_parameter");
  expect_error(api_.call("GET", "/api/conversations/" + cid + "/export?format=pdf"), 422,
               "invalid_parameter");
  expect_error(api_.call("PATCH", "/api/conversations/" + cid,
                         R"({"current_leaf_id":"01ARZ3NDEKTSV4RRFFQ69G5FAV"})"),
               422, "invalid_leaf");
  expect_error(api_.call("POST", "/api/conversations", R"({"model":"missing"})"), 422,
               "model_not_found");
  expect_error(api_.call("PUT", "/api/conversations"), 405, "method_not_allowed");
  auto wrong_type =
      http_request(api_.port, "POST", post, R"({"content":"hi"})", {"Content-Type: text/plain"});
  expect_error(wrong_type, 415, "unsupported_media_type");
  auto [u, a] = api_.send(cid, "hi");
  expect_error(api_.call("GET", "/api/messages/" + a + "/events?after=x"), 400,
               "invalid_last_event_id");
  expect_error(api_.call("POST", "/api/messages/" + a + "/cancel", R"({"shown":-1})"), 422,
               "invalid_field");
  read_events(api_.port, a);
}

TEST_F(ApiTest, LimitsAnswer429) {
  start({"--max-generations", "1"}, 20);
  auto c1 = api_.new_conversation();
  auto c2 = api_.new_conversation();
  auto [u, a] = api_.send(c1, "Tell me a long story");
  auto busy = api_.call("POST", "/api/conversations/" + c2 + "/messages", R"({"content":"hi"})");
  expect_error(busy, 429, "too_many_generations");
  EXPECT_FALSE(busy.header("retry-after").empty());
  // The same branch while its answer is still streaming.
  auto again = api_.call("POST", "/api/conversations/" + c1 + "/messages", R"({"content":"more"})");
  expect_error(again, 429, "generation_in_progress");
  api_.json("POST", "/api/messages/" + a + "/cancel", "{}", 200);
  api_.send(c2, "hi");  // capacity is back
}

TEST_F(ApiTest, CancelOnDisconnectAfterStopsUnwatchedGenerationsOnly) {
  start({"--cancel-on-disconnect-after", "300ms"}, 15);
  auto cid = api_.new_conversation();
  auto [u1, watched] = api_.send(cid, "Tell me a long story");
  auto cid2 = api_.new_conversation();
  auto [u2, unwatched] = api_.send(cid2, "Tell me a long story");
  RawConnection c(api_.port);
  c.send("GET /api/messages/" + watched + "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  std::string status;
  for (int i = 0; i < 100 && status != "cancelled"; ++i) {
    std::this_thread::sleep_for(50ms);
    c.read_some(0ms);
    status = std::string(api_.message(cid2, unwatched).at("status").as_string());
  }
  EXPECT_EQ(status, "cancelled");
  EXPECT_EQ(api_.message(cid, watched).at("status").as_string(), "streaming");
  api_.json("POST", "/api/messages/" + watched + "/cancel", "{}", 200);
}

TEST_F(ApiTest, StreamingPostAnswersInTheSameResponse) {
  start();
  auto cid = api_.new_conversation();
  RawConnection c(api_.port);
  std::string body = R"({"content":"hello"})";
  c.send("POST /api/conversations/" + cid +
         "/messages HTTP/1.1\r\nHost: 127.0.0.1\r\n"
         "Content-Type: application/json\r\nAccept: text/event-stream\r\nContent-Length: " +
         std::to_string(body.size()) + "\r\n\r\n" + body);
  auto res = c.read_response(30s);
  ASSERT_TRUE(res);
  auto frames = parse_sse_frames(res->body);
  ASSERT_FALSE(frames.empty());
  EXPECT_EQ(frames.front().event, "message");
  auto ids = boost::json::parse(frames.front().data);
  std::string mid(ids.at("assistant_message").at("id").as_string());
  auto stream = parse_stream(res->body);
  EXPECT_EQ(stream.terminal_event, "done");
  EXPECT_EQ(stream.text(), api_.message(cid, mid).at("content").as_string());
}

TEST_F(ApiTest, KillDashNineMidStreamLeavesAnInterruptedMessage) {
  start({"--persist-interval", "250ms"}, 40);
  auto cid = api_.new_conversation();
  auto [uid, mid] = api_.send(cid, "Tell me a long story");
  RawConnection c(api_.port);
  c.send("GET /api/messages/" + mid + "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
  std::string got = c.read_until("id: 30\n", 30s);
  got += c.read_until("\n\n", 5s);
  auto killed_at = std::chrono::steady_clock::now();
  ::kill(server_->process().pid(), SIGKILL);
  server_->process().wait_exit(10s);
  auto received = parse_stream(got.substr(got.find("\r\n\r\n") + 4));
  (void)killed_at;
  // Restart on the same data directory.
  auto data_dir = server_->data_dir();  // the default data dir of the first server
  std::vector<std::string> args = {"--config", fast_config(dir_), "--data-dir", data_dir.string()};
  ChatstreamServer restarted(args);
  Api api2{restarted.port()};
  auto m = api2.message(cid, mid);
  EXPECT_EQ(m.at("status").as_string(), "interrupted");
  std::string saved(m.at("content").as_string());
  std::string all = received.text();
  ASSERT_LE(saved.size(), all.size() + 4096);
  // What was saved is exactly the stream up to some delta, and lags what the client had by
  // no more than the persist interval's worth of tokens (40 tok/s × 0.25 s, with margin).
  auto seq = m.at("delta_seq").as_int64();
  ASSERT_GT(seq, 0);
  std::string prefix;
  for (std::size_t i = 0; i < received.deltas.size() && static_cast<std::int64_t>(i) < seq; ++i) {
    prefix += received.deltas[i].text;
  }
  if (static_cast<std::size_t>(seq) <= received.deltas.size()) {
    EXPECT_EQ(saved, prefix);
  }
  EXPECT_GE(seq + 25, static_cast<std::int64_t>(received.deltas.size()))
      << "saved " << seq << " deltas, the client had " << received.deltas.size();
  auto replay = read_events(restarted.port(), mid);
  EXPECT_EQ(replay.terminal.at("status").as_string(), "interrupted");
  EXPECT_EQ(replay.text(), saved);
}

}  // namespace
}  // namespace chatstream::testing
