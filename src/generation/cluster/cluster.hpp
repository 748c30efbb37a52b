// Several chatstream instances sharing live generations through Redis.
//
// The instance that runs a generation (its owner) mirrors the log into a Redis Stream per
// message: one XADD per delta with the delta's number as the entry id (`<seq>-0`), sent as one
// pipeline per flush, trimmed to stream_maxlen, then an end entry with the outcome; the key
// expires log_grace after the last write. It registers the generation in a hash
// (message -> owner, user), holds a lease for itself (a key renewed every lease_ttl/3) and
// listens for cancels on a pub/sub channel.
//
// Any other instance asked for the events of a message that the store says is streaming
// follows that stream into a local Generation (XRANGE for the backlog, then blocking XREAD on a
// connection of its own, one per message per instance, shared by all its subscribers), so
// the HTTP layer serves it like a local log.
//
// When an owner's lease expires, the first instance to notice claims each of its generations
// (SET NX), saves it as interrupted with error code "owner_lost" (the partial text
// already in the store is kept; the store's first-final-state-wins makes it exactly once) and
// ends the stream with that outcome.
//
// Redis outage: the owner keeps generating and saving to the store, its own subscribers keep
// streaming; followers on other instances end with a retryable error. When Redis is back the
// owner re-registers and re-sends its running logs.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "generation/hub.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::generation {

struct ClusterSettings {
  std::string redis_url = "redis://127.0.0.1:6379";
  std::string instance_id;  // empty: a new random id
  std::string key_prefix = "chatstream:";
  std::chrono::milliseconds lease_ttl{10000};
  std::chrono::milliseconds log_grace{std::chrono::minutes(5)};  // stream kept after the end
  std::chrono::milliseconds block{1000};  // one blocking XREAD waits at most this long
  std::size_t stream_maxlen = 100000;     // entries per stream (approximate trim)
  std::chrono::milliseconds follow_retention{std::chrono::seconds(30)};  // ended followed logs
};

struct ClusterStats {
  std::uint64_t mirrored_deltas = 0;
  std::uint64_t mirror_flushes = 0;  // pipelines sent
  std::uint64_t followers = 0;       // followed generations now
  std::uint64_t reaped = 0;          // generations of dead owners marked interrupted here
  std::uint64_t cancels_forwarded = 0;
};

class RedisCluster final : public ClusterHooks {
 public:
  // Throws std::invalid_argument for a malformed URL.
  RedisCluster(boost::asio::any_io_executor executor, store::Store& store, GenerationHub& hub,
               ClusterSettings settings, std::shared_ptr<spdlog::logger> logger);
  ~RedisCluster() override;

  // Connects (in the background, with backoff) and starts the lease, reaper and cancel
  // listener.
  void start();
  const std::string& instance_id() const;
  ClusterStats stats() const;

  void on_started(const std::shared_ptr<Generation>& g) override;
  std::shared_ptr<Generation> find_remote(const std::string& message_id) const override;
  boost::asio::awaitable<std::shared_ptr<Generation>> attach(store::Message message,
                                                             std::string user_id) override;
  boost::asio::awaitable<bool> cancel_remote(std::string message_id,
                                             std::optional<std::uint64_t> shown) override;
  bool ready() const override;
  boost::asio::awaitable<void> shutdown() override;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chatstream::generation
