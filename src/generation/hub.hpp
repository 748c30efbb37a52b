// The GenerationHub starts generations detached from the HTTP request that asked for them,
// keeps each one's live log for resumes (and for a grace period after the end), enforces the
// concurrency limit, cancels on request (or when nobody watched for too long), and persists
// through the Store (snapshots every persist_interval, the final state at the end).
// It knows no sockets: subscribers pull from a Generation and get woken.
//
// Thread-safety: all members may be called from any thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "generation/generation.hpp"
#include "providers/provider.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::generation {

struct HubSettings {
  std::chrono::milliseconds persist_interval{250};
  std::chrono::milliseconds log_grace{std::chrono::minutes(5)};
  std::optional<std::chrono::milliseconds> cancel_unwatched_after;
  std::size_t max_concurrent = 256;
  std::chrono::milliseconds sweep_interval{1000};
};

struct StartParams {
  std::string user_id;
  std::string conversation_id;
  std::string message_id;  // the assistant message (status streaming) to fill
  providers::ResolvedModel model;
  providers::ChatRequest request;
};

struct HubStats {
  std::uint64_t started = 0;
  std::uint64_t running = 0;
  std::uint64_t live = 0;  // running + finished still in their grace period
  std::uint64_t deltas = 0;
};

// Several instances: what the hub asks of the cluster layer (generation/cluster/, Redis).
// Without one the hub is exactly the single-process hub.
class ClusterHooks {
 public:
  virtual ~ClusterHooks() = default;
  // A generation started here: mirror its log for the other instances, own it.
  virtual void on_started(const std::shared_ptr<Generation>& g) = 0;
  // A generation of another instance followed here (running or recently ended), if any.
  virtual std::shared_ptr<Generation> find_remote(const std::string& message_id) const = 0;
  // Follows a message that the store says is streaming but that does not run here: a log fed
  // from the shared stream, shared by every subscriber on this instance. nullptr when the
  // shared stream cannot be reached.
  virtual boost::asio::awaitable<std::shared_ptr<Generation>> attach(store::Message message,
                                                                     std::string user_id) = 0;
  // Asks the owning instance to cancel (it saves and ends the shared stream).
  virtual boost::asio::awaitable<bool> cancel_remote(std::string message_id,
                                                     std::optional<std::uint64_t> shown) = 0;
  virtual bool ready() const = 0;
  // Ends the shared streams of what ended here (bounded), gives up ownership, disconnects.
  virtual boost::asio::awaitable<void> shutdown() = 0;
};

class GenerationHub {
 public:
  GenerationHub(boost::asio::any_io_executor executor, store::Store& store, HubSettings settings,
                std::shared_ptr<spdlog::logger> logger);
  ~GenerationHub();
  GenerationHub(const GenerationHub&) = delete;
  GenerationHub& operator=(const GenerationHub&) = delete;

  // Reserves a slot. False when max_concurrent generations are running (answer 429).
  bool try_reserve();
  // Gives back a reservation that will not be started.
  void release_reservation();
  // Starts a reserved generation; returns at once.
  std::shared_ptr<Generation> start(StartParams params);

  // The live generation of a message (running or in its grace period), if any: one running
  // here, else (with a cluster) one followed from another instance.
  std::shared_ptr<Generation> find(const std::string& message_id) const;
  // Only generations that run (or ran) on this instance.
  std::shared_ptr<Generation> find_local(const std::string& message_id) const;

  // Several instances (set once, before serving). Null: single process.
  void set_cluster(std::shared_ptr<ClusterHooks> cluster);
  bool clustered() const;
  // With a cluster: follows a streaming message of another instance (see ClusterHooks).
  boost::asio::awaitable<std::shared_ptr<Generation>> attach(store::Message message,
                                                             std::string user_id);
  // Cancels a running generation, here or (through the cluster) on its owner.
  boost::asio::awaitable<void> cancel(std::shared_ptr<Generation> g,
                                      std::optional<std::uint64_t> shown);
  // False when the cluster's shared stream store is unreachable (always true without one).
  bool ready() const;
  std::size_t running() const;
  // Cancels the message's generation if it runs and forgets its live log (e.g. deleted).
  void discard(const std::string& message_id);
  HubStats stats() const;

  // Starts the periodic sweep (grace-period eviction, unwatched cancellation).
  void start_sweeper();
  // Refuses new generations, lets running ones finish within `grace`, then cancels the rest
  // as interrupted and waits (bounded) until they are saved.
  boost::asio::awaitable<void> shutdown(std::chrono::milliseconds grace);

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chatstream::generation
