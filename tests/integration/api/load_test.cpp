// 200 concurrent generations with 3 subscribers each: every subscriber gets the same,
// complete, gap-free stream, equal to what was saved, and the store batches its writes.
#include <gtest/gtest.h>
#include <poll.h>

#include <fstream>
#include <iostream>
#include <map>

#include "api_client.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;

double metric(unsigned short port, const std::string& name) {
  auto body = http_request(port, "GET", "/metrics").body;
  auto pos = body.find("\n" + name + " ");
  if (pos == std::string::npos) throw std::runtime_error("metric missing: " + name);
  return std::stod(body.substr(pos + name.size() + 2));
}

TEST(Load, TwoHundredGenerationsThreeSubscribersEach) {
  constexpr int kGenerations = 200;
  constexpr int kSubscribers = 3;
  TempDir dir;
  auto config = dir.path() / "c.toml";
  std::ofstream(config) << "[[providers]]\nname = \"simulated\"\nkind = \"simulated\"\n"
                           "tokens_per_second = 100\nfirst_token_delay_ms = 50\n";
  ChatstreamServer server({"--config", config.string(), "--max-generations", "400"});
  Api api{server.port()};
  const double tx_before = metric(server.port(), "chatstream_store_write_transactions_total");
  const auto started = std::chrono::steady_clock::now();

  std::vector<std::pair<std::string, std::string>> gens;  // conversation, assistant message
  for (int i = 0; i < kGenerations; ++i) {
    auto cid = api.new_conversation();
    auto [uid, mid] = api.send(cid, "Question number " + std::to_string(i) + " about streams");
    gens.emplace_back(cid, mid);
  }
  // 600 subscribers at once, read by one poll loop (HTTP/1.0: close-delimited bodies).
  struct Sub {
    std::unique_ptr<RawConnection> conn;
    std::string data;
    bool done = false;
    int gen = 0;
  };
  std::vector<Sub> subs;
  for (int g = 0; g < kGenerations; ++g) {
    for (int s = 0; s < kSubscribers; ++s) {
      Sub sub;
      sub.conn = std::make_unique<RawConnection>(server.port());
      sub.conn->send("GET /api/messages/" + gens[g].second +
                     "/events HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n");
      sub.gen = g;
      subs.push_back(std::move(sub));
    }
  }
  const auto deadline = std::chrono::steady_clock::now() + 180s;
  std::size_t open = subs.size();
  while (open > 0 && std::chrono::steady_clock::now() < deadline) {
    std::vector<pollfd> fds;
    std::vector<Sub*> owners;
    for (auto& s : subs) {
      if (s.done) continue;
      fds.push_back({s.conn->fd(), POLLIN, 0});
      owners.push_back(&s);
    }
    if (::poll(fds.data(), fds.size(), 1000) <= 0) continue;
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (!(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
      auto part = owners[i]->conn->read_some(0ms);
      if (!part) {
        owners[i]->done = true;
        --open;
      } else {
        owners[i]->data += *part;
      }
    }
  }
  ASSERT_EQ(open, 0u) << "streams still open at the deadline";
  const double wall =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  std::size_t deltas_delivered = 0;
  std::map<int, std::string> first_body;
  for (auto& s : subs) {
    auto head_end = s.data.find("\r\n\r\n");
    ASSERT_NE(head_end, std::string::npos);
    std::string body = s.data.substr(head_end + 4);
    auto parsed = parse_stream(body);
    ASSERT_EQ(parsed.terminal_event, "done") << body.substr(0, 300);
    for (std::size_t i = 0; i < parsed.deltas.size(); ++i) {
      ASSERT_EQ(parsed.deltas[i].seq, i + 1) << "gap or duplicate";
    }
    deltas_delivered += parsed.deltas.size();
    auto [it, inserted] = first_body.emplace(s.gen, body);
    if (!inserted) {
      EXPECT_EQ(body, it->second) << "subscribers of one generation differ";
    }
  }
  for (int g = 0; g < kGenerations; ++g) {
    auto saved = api.message(gens[g].first, gens[g].second);
    ASSERT_EQ(saved.at("status").as_string(), "complete");
    EXPECT_EQ(saved.at("content").as_string(), parse_stream(first_body[g]).text());
  }
  const double tx = metric(server.port(), "chatstream_store_write_transactions_total") - tx_before;
  const double generated = metric(server.port(), "chatstream_generation_deltas_total");
  std::cout << "[figures] generations=" << kGenerations << " subscribers=" << subs.size()
            << " deltas_generated=" << generated << " deltas_delivered=" << deltas_delivered
            << " write_transactions=" << tx << " wall_s=" << wall << "\n";
  // Writes are batched: far fewer transactions than deltas (each generation alone would need
  // at least one per persist interval plus its inserts and its final state).
  EXPECT_LT(tx, generated / 5);
}

}  // namespace
}  // namespace chatstream::testing
