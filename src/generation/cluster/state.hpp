// Internal to generation/cluster/: the shared state of RedisCluster.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "generation/cluster/cluster.hpp"
#include "redis/client.hpp"

namespace chatstream::generation {

// The fields of a stream's end entry, and back.
std::vector<std::string> encode_outcome(const Outcome& o);
std::optional<Outcome> decode_outcome(const std::vector<redis::Reply>& fields);

// The owner side of one generation: mirrors its log into the stream.
struct Mirror : std::enable_shared_from_this<Mirror> {
  std::shared_ptr<Generation> g;
  std::weak_ptr<RedisCluster::State> state;
  boost::asio::any_io_executor strand;
  std::uint64_t token = 0;
  // Strand only.
  std::uint64_t connection = 0;  // the Redis connection `mirrored` was written through
  std::uint64_t mirrored = 0;    // deltas written to the stream
  bool registered = false;       // in the generations hash
  bool flushing = false;
  bool ended = false;

  void wake();    // any thread
  void resync();  // any thread: Redis came back (maybe empty): write everything again
};

struct Follower {
  std::shared_ptr<Generation> g;
  std::shared_ptr<redis::Client> connection;  // for the blocking reads
};

struct RedisCluster::State : std::enable_shared_from_this<RedisCluster::State> {
  State(boost::asio::any_io_executor ex, store::Store& st, GenerationHub& h, ClusterSettings cs,
        redis::Config rc, std::shared_ptr<spdlog::logger> l);

  boost::asio::any_io_executor executor;
  boost::asio::any_io_executor strand;
  store::Store& store;
  GenerationHub& hub;
  ClusterSettings settings;
  redis::Config redis_config;
  std::shared_ptr<spdlog::logger> logger;
  redis::Client commands;  // request/reply, shared by everything here
  redis::Client pubsub;    // cancel channel
  boost::asio::steady_timer tick_timer;

  mutable std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<Mirror>> mirrors;
  std::unordered_map<std::string, Follower> followers;
  std::atomic<bool> stopping{false};
  std::atomic<std::uint64_t> mirrored_deltas{0}, mirror_flushes{0}, reaped{0}, cancels_forwarded{0};

  std::string stream_key(const std::string& mid) const {
    return settings.key_prefix + "stream:" + mid;
  }
  std::string lease_key(const std::string& instance) const {
    return settings.key_prefix + "instance:" + instance;
  }
  std::string generations_key() const { return settings.key_prefix + "generations"; }
  std::string claim_key(const std::string& mid) const {
    return settings.key_prefix + "claim:" + mid;
  }
  std::string cancel_channel() const { return settings.key_prefix + "cancel"; }
  std::string maxlen() const { return std::to_string(settings.stream_maxlen); }
  std::string grace_ms() const { return std::to_string(settings.log_grace.count()); }

  void on_cancel_message(const std::string& payload);
  void on_reconnected();
  void remove_mirror(const std::string& mid, const std::shared_ptr<Mirror>& m);
  void drop_follower(const std::string& mid, const std::shared_ptr<Generation>& g);
  // Marks a generation whose owner is gone as interrupted, once across the cluster.
  boost::asio::awaitable<void> reap(std::string mid, std::string owner, std::string user);
};

boost::asio::awaitable<void> mirror_flush(std::shared_ptr<Mirror> m);
boost::asio::awaitable<void> follow(std::shared_ptr<RedisCluster::State> s,
                                    std::shared_ptr<Generation> g,
                                    std::shared_ptr<redis::Client> connection,
                                    std::int64_t created_at_ms);

}  // namespace chatstream::generation
