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

  // The live generation of a message (running or in its grace period), if any.
  std::shared_ptr<Generation> find(const std::string& message_id) const;
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
