// Internal to generation/: the coroutine that drives one generation on its strand.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <functional>
#include <memory>

#include "generation/generation.hpp"
#include "generation/snapshots.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::generation {

struct RunContext {
  store::Store& store;
  // Snapshots every persist_interval (the hub's); outlives the run.
  std::shared_ptr<SnapshotScheduler> snapshots;
  std::shared_ptr<spdlog::logger> logger;
  std::function<void(const std::shared_ptr<Generation>&)> on_finished;
  std::function<void(std::size_t)> count_deltas;
};

// Streams from the provider into the generation's log, snapshots the content to the store
// (through ctx.snapshots), writes the final state, then ends the log (subscribers get
// `done`/`error` only after the final state is durable).
boost::asio::awaitable<void> run_generation(std::shared_ptr<Generation> generation,
                                            providers::ResolvedModel model,
                                            providers::ChatRequest request, RunContext ctx);

}  // namespace chatstream::generation
