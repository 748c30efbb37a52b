#include "generation/cluster/cluster.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>
#include <random>
#include <set>
#include <stdexcept>

#include "generation/cluster/state.hpp"

namespace chatstream::generation {
namespace asio = boost::asio;

namespace {

redis::Config redis_config_from(const ClusterSettings& s) {
  auto c = redis::parse_url(s.redis_url);
  if (!c) throw std::invalid_argument("invalid Redis URL (expected redis://host:port[/db])");
  return *c;
}

std::string random_instance_id() {
  std::random_device rd;
  static constexpr char digits[] = "0123456789abcdef";
  std::string id = "i-";
  for (int i = 0; i < 12; ++i) id += digits[rd() % 16];
  return id;
}

ClusterSettings with_id(ClusterSettings s) {
  if (s.instance_id.empty()) s.instance_id = random_instance_id();
  return s;
}

}  // namespace

RedisCluster::State::State(asio::any_io_executor ex, store::Store& st, GenerationHub& h,
                           ClusterSettings cs, redis::Config rc, std::shared_ptr<spdlog::logger> l)
    : executor(ex),
      strand(asio::make_strand(ex)),
      store(st),
      hub(h),
      settings(std::move(cs)),
      redis_config(std::move(rc)),
      logger(l ? std::move(l) : spdlog::default_logger()),
      commands(ex, redis_config, logger),
      pubsub(ex, redis_config, logger),
      tick_timer(strand) {}

void RedisCluster::State::on_cancel_message(const std::string& payload) {
  // "<message id> <shown or ->"
  auto space = payload.find(' ');
  std::string mid = payload.substr(0, space);
  std::optional<std::uint64_t> shown;
  if (space != std::string::npos) {
    std::uint64_t v = 0;
    auto rest = std::string_view(payload).substr(space + 1);
    auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), v);
    if (ec == std::errc() && p == rest.data() + rest.size()) shown = v;
  }
  if (auto g = hub.find_local(mid); g && !g->finished()) {
    logger->info("cluster: cancelling {} for another instance", mid);
    g->request_cancel(shown);
  }
}

void RedisCluster::State::on_reconnected() {
  std::vector<std::shared_ptr<Mirror>> all;
  {
    std::lock_guard lock(mutex);
    for (auto& [mid, m] : mirrors) all.push_back(m);
  }
  commands.send(redis::args("SET", lease_key(settings.instance_id), settings.instance_id, "PX",
                            std::to_string(settings.lease_ttl.count())));
  for (auto& m : all) m->resync();
}

void RedisCluster::State::remove_mirror(const std::string& mid, const std::shared_ptr<Mirror>& m) {
  std::lock_guard lock(mutex);
  if (auto it = mirrors.find(mid); it != mirrors.end() && it->second == m) mirrors.erase(it);
}

void RedisCluster::State::drop_follower(const std::string& mid,
                                        const std::shared_ptr<Generation>& g) {
  std::lock_guard lock(mutex);
  if (auto it = followers.find(mid); it != followers.end() && it->second.g == g) {
    followers.erase(it);
  }
}

asio::awaitable<void> RedisCluster::State::reap(std::string mid, std::string owner,
                                                std::string user) {
  const auto hold = std::to_string(std::max<std::int64_t>(60000, 6 * settings.lease_ttl.count()));
  auto claim = co_await commands.command(
      redis::args("SET", claim_key(mid), settings.instance_id, "NX", "PX", hold));
  if (!claim || !claim->text()) co_return;  // unreachable, or another instance has it
  bool failed = false;
  try {
    auto m = co_await store.get_message(user, mid);
    if (m && m->status == store::MessageStatus::streaming) {
      store::MessageFinal f;
      f.id = mid;
      f.content = m->content;
      f.status = store::MessageStatus::interrupted;
      f.error_code = "owner_lost";
      f.error_message = "The server generating this answer stopped; the partial answer was saved.";
      f.delta_seq = m->delta_seq;
      f.duration_ms = m->duration_ms;
      if (co_await store.finish_message(std::move(f))) {
        reaped.fetch_add(1);
        logger->warn("cluster: {} marked interrupted (its instance '{}' is gone)", mid, owner);
      }
      m = co_await store.get_message(user, mid);
    }
    std::vector<std::vector<std::string>> cmds;
    if (m) {
      auto xadd = redis::args("XADD", stream_key(mid), "MAXLEN", "~", maxlen(), "*");
      for (auto& f : encode_outcome(outcome_of(*m))) xadd.push_back(std::move(f));
      cmds.push_back(std::move(xadd));
      cmds.push_back(redis::args("PEXPIRE", stream_key(mid), grace_ms()));
    }
    cmds.push_back(redis::args("HDEL", generations_key(), mid));
    co_await commands.pipeline(std::move(cmds));
  } catch (const std::exception& e) {
    logger->error("cluster: marking {} interrupted failed: {}", mid, e.what());
    failed = true;
  }
  if (failed) co_await commands.command(redis::args("DEL", claim_key(mid)));  // retry later
}

namespace {

// Every lease_ttl/3: renew our lease, reap generations of instances whose lease expired (and
// our own from a previous life), forget followed logs past their retention.
asio::awaitable<void> tick_once(std::shared_ptr<RedisCluster::State> s) {
  co_await s->commands.command(redis::args("SET", s->lease_key(s->settings.instance_id),
                                           s->settings.instance_id, "PX",
                                           std::to_string(s->settings.lease_ttl.count())));
  auto all = co_await s->commands.command(redis::args("HGETALL", s->generations_key()));
  if (all && all->is_array()) {
    std::vector<std::tuple<std::string, std::string, std::string>> entries;  // mid, owner, user
    std::set<std::string> owners;
    for (std::size_t i = 0; i + 1 < all->elements.size(); i += 2) {
      const auto& v = all->elements[i + 1].str;
      auto sp = v.find(' ');
      std::string owner = v.substr(0, sp);
      std::string user = sp == std::string::npos ? std::string() : v.substr(sp + 1);
      entries.emplace_back(all->elements[i].str, owner, user);
      if (owner != s->settings.instance_id) owners.insert(owner);
    }
    std::set<std::string> dead;
    for (const auto& o : owners) {
      auto alive = co_await s->commands.command(redis::args("EXISTS", s->lease_key(o)));
      if (alive && alive->integer == 0) dead.insert(o);
    }
    for (auto& entry : entries) {
      const auto& mid = std::get<0>(entry);
      const auto& owner = std::get<1>(entry);
      const bool mine_from_before = owner == s->settings.instance_id && !s->hub.find_local(mid);
      if (dead.count(owner) || mine_from_before) co_await s->reap(mid, owner, std::get<2>(entry));
    }
  }
  const auto now = Generation::Clock::now();
  std::lock_guard lock(s->mutex);
  std::erase_if(s->followers, [&](const auto& kv) {
    auto at = kv.second.g->finished_at();
    return at && now - *at >= s->settings.follow_retention;
  });
}

asio::awaitable<void> tick_loop(std::weak_ptr<RedisCluster::State> weak) {
  for (;;) {
    auto s = weak.lock();
    if (!s || s->stopping.load()) co_return;
    if (s->commands.connected()) co_await tick_once(s);
    s->tick_timer.expires_after(s->settings.lease_ttl / 3);
    auto& timer = s->tick_timer;
    s.reset();
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

}  // namespace

RedisCluster::RedisCluster(asio::any_io_executor executor, store::Store& store, GenerationHub& hub,
                           ClusterSettings settings, std::shared_ptr<spdlog::logger> logger)
    : state_(std::make_shared<State>(executor, store, hub, with_id(settings),
                                     redis_config_from(settings), std::move(logger))) {}

RedisCluster::~RedisCluster() {
  state_->stopping.store(true);
  state_->commands.stop();
  state_->pubsub.stop();
  asio::post(state_->strand, [s = state_] { s->tick_timer.cancel(); });
}

void RedisCluster::start() {
  std::weak_ptr<State> weak = state_;
  state_->commands.set_on_connect([weak] {
    if (auto s = weak.lock()) s->on_reconnected();
  });
  state_->pubsub.set_push_handler([weak](redis::Reply r) {
    auto s = weak.lock();
    if (!s || !r.is_array() || r.elements.size() != 3 || r.elements[0].str != "message") return;
    s->on_cancel_message(r.elements[2].str);
  });
  state_->pubsub.set_on_connect([weak] {
    if (auto s = weak.lock()) s->pubsub.send(redis::args("SUBSCRIBE", s->cancel_channel()));
  });
  state_->commands.start();
  state_->pubsub.start();
  asio::co_spawn(state_->strand, tick_loop(state_), asio::detached);
  state_->logger->info("cluster: instance {} using {}", state_->settings.instance_id,
                       redis::redacted(state_->redis_config));
}

const std::string& RedisCluster::instance_id() const {
  return state_->settings.instance_id;
}

ClusterStats RedisCluster::stats() const {
  ClusterStats st;
  st.mirrored_deltas = state_->mirrored_deltas.load();
  st.mirror_flushes = state_->mirror_flushes.load();
  st.reaped = state_->reaped.load();
  st.cancels_forwarded = state_->cancels_forwarded.load();
  std::lock_guard lock(state_->mutex);
  st.followers = state_->followers.size();
  return st;
}

void RedisCluster::on_started(const std::shared_ptr<Generation>& g) {
  auto m = std::make_shared<Mirror>();
  m->g = g;
  m->state = state_;
  m->strand = asio::make_strand(state_->executor);
  std::weak_ptr<Mirror> weak = m;
  m->token = g->subscribe(
      [weak] {
        if (auto mm = weak.lock()) mm->wake();
      },
      false);
  {
    std::lock_guard lock(state_->mutex);
    state_->mirrors[g->message_id()] = m;
  }
  m->wake();  // registers it at once, before any delta
}

std::shared_ptr<Generation> RedisCluster::find_remote(const std::string& message_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->followers.find(message_id);
  return it == state_->followers.end() ? nullptr : it->second.g;
}

asio::awaitable<std::shared_ptr<Generation>> RedisCluster::attach(store::Message message,
                                                                  std::string user_id) {
  if (!state_->commands.connected() || state_->stopping.load()) co_return nullptr;
  std::shared_ptr<Generation> g;
  std::shared_ptr<redis::Client> connection;
  {
    std::lock_guard lock(state_->mutex);
    if (auto it = state_->followers.find(message.id); it != state_->followers.end()) {
      if (it->second.g->user_id() == user_id) co_return it->second.g;
      co_return nullptr;
    }
    g = std::make_shared<Generation>(message.id, message.conversation_id, user_id,
                                     asio::make_strand(state_->executor));
    auto config = state_->redis_config;
    config.log_connects = false;  // one per followed answer: too many for the info log
    connection = std::make_shared<redis::Client>(state_->executor, config, state_->logger);
    state_->followers[message.id] = Follower{g, connection};
  }
  connection->start();
  asio::co_spawn(state_->executor, follow(state_, g, connection, message.created_at_ms),
                 asio::detached);
  co_return g;
}

asio::awaitable<bool> RedisCluster::cancel_remote(std::string message_id,
                                                  std::optional<std::uint64_t> shown) {
  std::string payload = message_id + " " + (shown ? std::to_string(*shown) : "-");
  auto r =
      co_await state_->commands.command(redis::args("PUBLISH", state_->cancel_channel(), payload));
  state_->cancels_forwarded.fetch_add(1);
  co_return r && r->integer > 0;
}

bool RedisCluster::ready() const {
  return state_->commands.connected() && state_->pubsub.connected();
}

asio::awaitable<void> RedisCluster::shutdown() {
  // Let the mirrors write the ends of what just finished here (bounded), then give up the
  // lease so that nothing waits for it to expire.
  asio::steady_timer timer(state_->executor);
  for (int i = 0; i < 100; ++i) {
    {
      std::lock_guard lock(state_->mutex);
      if (state_->mirrors.empty()) break;
    }
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  state_->stopping.store(true);
  co_await state_->commands.command(
      redis::args("DEL", state_->lease_key(state_->settings.instance_id)));
  state_->commands.stop();
  state_->pubsub.stop();
  std::lock_guard lock(state_->mutex);
  for (auto& entry : state_->followers) entry.second.connection->stop();
}

}  // namespace chatstream::generation
