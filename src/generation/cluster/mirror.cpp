// The owner side: a generation's log mirrored into its Redis Stream, one pipeline per flush.
#include <spdlog/spdlog.h>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>

#include "generation/cluster/state.hpp"

namespace chatstream::generation {
namespace asio = boost::asio;

namespace {

constexpr std::size_t max_deltas_per_flush = 4096;

}  // namespace

void Mirror::wake() {
  asio::post(strand, [self = shared_from_this()] {
    if (self->flushing || self->ended) return;
    self->flushing = true;
    asio::co_spawn(self->strand, mirror_flush(self), asio::detached);
  });
}

void Mirror::resync() {
  wake();  // the flush sees the new connection and starts over
}

asio::awaitable<void> mirror_flush(std::shared_ptr<Mirror> m) {
  for (;;) {
    auto s = m->state.lock();
    if (!s) break;
    // A new connection: Redis may have restarted empty. Write everything again (entries that
    // are still there are refused as duplicates: harmless).
    const auto connection = s->commands.connection();
    if (connection != m->connection) {
      m->connection = connection;
      m->mirrored = 0;
      m->registered = false;
    }
    const auto& mid = m->g->message_id();
    const auto key = s->stream_key(mid);
    // The outcome first: once it is set no delta can follow, so all of them are read below.
    auto outcome = m->g->outcome();
    std::vector<std::string> texts;
    std::uint64_t cursor = m->mirrored;
    m->g->read_deltas(cursor, texts, max_deltas_per_flush);
    const bool end = outcome && cursor == m->g->last_seq();

    std::vector<std::vector<std::string>> commands;
    if (!m->registered) {
      commands.push_back(redis::args("HSET", s->generations_key(), mid,
                                     s->settings.instance_id + " " + m->g->user_id()));
    }
    std::uint64_t seq = m->mirrored;
    for (auto& t : texts) {
      commands.push_back(redis::args("XADD", key, "MAXLEN", "~", s->maxlen(),
                                     std::to_string(++seq) + "-0", "t", std::move(t)));
    }
    if (end) {
      std::vector<std::string> xadd{"XADD", key, "MAXLEN", "~", s->maxlen(), "*"};
      for (auto& f : encode_outcome(*outcome)) xadd.push_back(std::move(f));
      commands.push_back(std::move(xadd));
      commands.push_back(redis::args("HDEL", s->generations_key(), mid));
    }
    if (!texts.empty() || end) commands.push_back(redis::args("PEXPIRE", key, s->grace_ms()));
    if (commands.empty()) break;

    auto replies = co_await s->commands.pipeline(std::move(commands), connection);
    if (!replies && replies.error() == asio::error::try_again) continue;  // reconnected since
    if (!replies) break;  // Redis is away: State::on_reconnected() wakes every mirror
    s->mirror_flushes.fetch_add(1, std::memory_order_relaxed);
    s->mirrored_deltas.fetch_add(cursor - m->mirrored, std::memory_order_relaxed);
    m->registered = true;
    m->mirrored = cursor;
    if (end) {
      m->ended = true;
      m->g->unsubscribe(m->token);
      s->remove_mirror(mid, m);
      co_return;
    }
  }
  m->flushing = false;
}

}  // namespace chatstream::generation
