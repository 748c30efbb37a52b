// The follower side: another instance's generation read from its Redis Stream into a local
// log (XRANGE for the backlog, then blocking XREAD), on a connection of its own.
#include <spdlog/spdlog.h>

#include <charconv>

#include "generation/cluster/state.hpp"

namespace chatstream::generation {
namespace asio = boost::asio;

namespace {

std::optional<std::uint64_t> seq_of(const std::string& id) {
  std::uint64_t v = 0;
  auto dash = id.find('-');
  auto end = dash == std::string::npos ? id.size() : dash;
  auto [p, ec] = std::from_chars(id.data(), id.data() + end, v);
  if (ec != std::errc() || p != id.data() + end) return std::nullopt;
  return v;
}

const std::string* field(const std::vector<redis::Reply>& fields, std::string_view name) {
  for (std::size_t i = 0; i + 1 < fields.size(); i += 2) {
    if (fields[i].str == name) return &fields[i + 1].str;
  }
  return nullptr;
}

enum class Applied { more, ended, broken };

// Entries: [[id, [field, value, ...]], ...]. Deltas must come in order from 1; repeats are
// skipped.
Applied apply(Generation& g, const redis::Reply& entries, std::string& last_id) {
  for (const auto& e : entries.elements) {
    if (e.elements.size() < 2) return Applied::broken;
    last_id = e.elements[0].str;
    const auto& fields = e.elements[1].elements;
    if (const auto* text = field(fields, "t")) {
      auto seq = seq_of(last_id);
      if (!seq) return Applied::broken;
      if (*seq <= g.last_seq()) continue;
      if (*seq != g.last_seq() + 1) return Applied::broken;  // trimmed away or lost
      g.append(*text);
    } else if (auto outcome = decode_outcome(fields)) {
      g.finish(std::move(*outcome));
      return Applied::ended;
    }
  }
  return Applied::more;
}

std::int64_t now_epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Nothing arrived for a while: is the owner still there? Ends the log when the message turns
// out to be final, reaps it when its owner is gone. False when Redis cannot be asked.
asio::awaitable<bool> check_owner(std::shared_ptr<RedisCluster::State> s,
                                  std::shared_ptr<Generation> g, std::int64_t created_at_ms) {
  const auto& mid = g->message_id();
  auto owner = co_await s->commands.command(redis::args("HGET", s->generations_key(), mid));
  if (!owner) co_return false;
  if (auto text = owner->text()) {
    std::string who(text->substr(0, text->find(' ')));
    auto alive = co_await s->commands.command(redis::args("EXISTS", s->lease_key(who)));
    if (!alive) co_return false;
    if (alive->integer == 0) co_await s->reap(mid, who, g->user_id());
    co_return true;
  }
  // Not registered: it ended (and its stream went away), or its owner never got to Redis.
  std::optional<store::Message> m;
  try {
    m = co_await s->store.get_message(g->user_id(), mid);
  } catch (const std::exception& e) {
    s->logger->warn("cluster: reading message {}: {}", mid, e.what());
    co_return true;
  }
  if (!m) {
    co_return false;  // deleted meanwhile
  } else if (m->status != store::MessageStatus::streaming) {
    g->finish(outcome_of(*m));
  } else if (now_epoch_ms() - created_at_ms > 2 * s->settings.lease_ttl.count()) {
    co_await s->reap(mid, "", g->user_id());
  }
  co_return true;
}

}  // namespace

asio::awaitable<void> follow(std::shared_ptr<RedisCluster::State> s, std::shared_ptr<Generation> g,
                             std::shared_ptr<redis::Client> connection,
                             std::int64_t created_at_ms) {
  const auto key = s->stream_key(g->message_id());
  std::string last_id = "0-0";
  Applied state = Applied::broken;
  if (co_await connection->wait_connected(s->redis_config.connect_timeout)) {
    auto backlog = co_await connection->command(redis::args("XRANGE", key, "-", "+"));
    state = backlog && backlog->is_array() ? apply(*g, *backlog, last_id) : Applied::broken;
  }
  const auto block = std::to_string(s->settings.block.count());
  while (state == Applied::more && !g->finished() && !s->stopping.load()) {
    auto r = co_await connection->command(
        redis::args("XREAD", "COUNT", "1000", "BLOCK", block, "STREAMS", key, last_id));
    if (!r || r->is_error()) {
      state = Applied::broken;
    } else if (r->is_nil()) {
      if (!co_await check_owner(s, g, created_at_ms)) state = Applied::broken;
    } else if (!r->elements.empty() && r->elements[0].elements.size() == 2) {
      state = apply(*g, r->elements[0].elements[1], last_id);
    }
  }
  connection->stop();
  if (!g->finished()) {
    s->logger->warn("cluster: following {} failed; subscribers are told to retry", g->message_id());
    g->finish(unavailable_outcome(g->last_seq()));
    s->drop_follower(g->message_id(), g);
  }
}

}  // namespace chatstream::generation
