#include "generation/hub.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <deque>

#include "generation/run.hpp"
#include "util/serial.hpp"

namespace chatstream::generation {
namespace asio = boost::asio;

struct GenerationHub::State : std::enable_shared_from_this<GenerationHub::State> {
  State(asio::any_io_executor ex, store::Store& s, HubSettings hs,
        std::shared_ptr<spdlog::logger> l)
      : executor(std::move(ex)),
        store(s),
        settings(hs),
        logger(std::move(l)),
        snapshots(std::make_shared<SnapshotScheduler>(executor, s, hs.persist_interval)),
        sweep_timer(asio::make_strand(executor)) {}

  asio::any_io_executor executor;
  store::Store& store;
  HubSettings settings;
  std::shared_ptr<spdlog::logger> logger;
  std::shared_ptr<SnapshotScheduler> snapshots;

  mutable std::mutex mutex;
  std::unordered_map<std::string, std::shared_ptr<Generation>> live;
  // Generations that ended here, oldest first: the sweep evicts expired logs from the front
  // instead of scanning every live generation.
  std::deque<std::pair<Generation::Clock::time_point, std::weak_ptr<Generation>>> ended;
  std::size_t running = 0;  // reserved or running; guarded by mutex
  std::atomic<std::uint64_t> started{0};
  std::atomic<std::uint64_t> deltas{0};
  std::atomic<bool> stopping{false};
  asio::steady_timer sweep_timer;         // on its own strand
  std::shared_ptr<ClusterHooks> cluster;  // set before serving, then read-only

  void stop_sweeper() {
    asio::post(sweep_timer.get_executor(), [weak = weak_from_this()] {
      if (auto s = weak.lock()) s->sweep_timer.cancel();
    });
  }

  void on_finished(const std::shared_ptr<Generation>& g) {
    const auto at = g->finished_at().value_or(Generation::Clock::now());
    std::lock_guard lock(mutex);
    if (running > 0) --running;
    ended.emplace_back(at, g);
  }
  void sweep();
};

void GenerationHub::State::sweep() {
  const auto now = Generation::Clock::now();
  std::vector<std::shared_ptr<Generation>> to_cancel;
  {
    std::lock_guard lock(mutex);
    while (!ended.empty() && now - ended.front().first >= settings.log_grace) {
      auto g = ended.front().second.lock();
      ended.pop_front();
      if (!g) continue;  // discarded meanwhile
      auto it = live.find(g->message_id());
      if (it != live.end() && it->second == g) live.erase(it);
    }
    // With several instances its watchers may be on other instances, which this one cannot
    // see: never cancelled for being unwatched there (docs/cluster.md).
    if (settings.cancel_unwatched_after && !cluster) {
      for (const auto& [id, g] : live) {
        if (g->finished()) continue;
        auto since = g->unwatched_since();
        if (since && now - *since >= *settings.cancel_unwatched_after) to_cancel.push_back(g);
      }
    }
  }
  for (auto& g : to_cancel) {
    logger->info("cancelling generation {}: nobody watched it for {} ms", g->message_id(),
                 settings.cancel_unwatched_after->count());
    g->request_cancel(std::nullopt, store::MessageStatus::cancelled);
  }
}

GenerationHub::GenerationHub(asio::any_io_executor executor, store::Store& store,
                             HubSettings settings, std::shared_ptr<spdlog::logger> logger)
    : state_(std::make_shared<State>(std::move(executor), store, settings, std::move(logger))) {}

GenerationHub::~GenerationHub() {
  state_->stopping.store(true);
  state_->stop_sweeper();
}

bool GenerationHub::try_reserve() {
  std::lock_guard lock(state_->mutex);
  if (state_->stopping.load() || state_->running >= state_->settings.max_concurrent) return false;
  ++state_->running;
  return true;
}

void GenerationHub::release_reservation() {
  std::lock_guard lock(state_->mutex);
  if (state_->running > 0) --state_->running;
}

std::shared_ptr<Generation> GenerationHub::start(StartParams params) {
  // Serial: a strand of its own, or the io_context's executor when one thread runs it.
  auto executor = util::make_serial(state_->executor);
  auto g = std::make_shared<Generation>(params.message_id, params.conversation_id, params.user_id,
                                        executor);
  {
    std::lock_guard lock(state_->mutex);
    state_->live[params.message_id] = g;
  }
  state_->started.fetch_add(1);
  RunContext ctx{state_->store, state_->snapshots, state_->logger,
                 [weak = std::weak_ptr<State>(state_)](const std::shared_ptr<Generation>& gen) {
                   if (auto s = weak.lock()) s->on_finished(gen);
                 },
                 [weak = std::weak_ptr<State>(state_)](std::size_t n) {
                   if (auto s = weak.lock()) s->deltas.fetch_add(n, std::memory_order_relaxed);
                 }};
  if (state_->cluster) state_->cluster->on_started(g);
  asio::co_spawn(
      executor,
      run_generation(g, std::move(params.model), std::move(params.request), std::move(ctx)),
      asio::detached);
  return g;
}

std::shared_ptr<Generation> GenerationHub::find_local(const std::string& message_id) const {
  std::lock_guard lock(state_->mutex);
  auto it = state_->live.find(message_id);
  return it == state_->live.end() ? nullptr : it->second;
}

std::shared_ptr<Generation> GenerationHub::find(const std::string& message_id) const {
  if (auto g = find_local(message_id)) return g;
  return state_->cluster ? state_->cluster->find_remote(message_id) : nullptr;
}

void GenerationHub::set_cluster(std::shared_ptr<ClusterHooks> cluster) {
  state_->cluster = std::move(cluster);
}

bool GenerationHub::clustered() const {
  return state_->cluster != nullptr;
}

bool GenerationHub::ready() const {
  return !state_->cluster || state_->cluster->ready();
}

asio::awaitable<std::shared_ptr<Generation>> GenerationHub::attach(store::Message message,
                                                                   std::string user_id) {
  if (!state_->cluster) co_return nullptr;
  co_return co_await state_->cluster->attach(std::move(message), std::move(user_id));
}

asio::awaitable<void> GenerationHub::cancel(std::shared_ptr<Generation> g,
                                            std::optional<std::uint64_t> shown) {
  if (!g || g->finished()) co_return;
  if (find_local(g->message_id()) == g || !state_->cluster) {
    g->request_cancel(shown);
    co_return;
  }
  co_await state_->cluster->cancel_remote(g->message_id(), shown);
}

void GenerationHub::discard(const std::string& message_id) {
  std::shared_ptr<Generation> g;
  {
    std::lock_guard lock(state_->mutex);
    auto it = state_->live.find(message_id);
    if (it == state_->live.end()) return;
    g = std::move(it->second);
    state_->live.erase(it);
  }
  g->request_cancel(std::nullopt);
}

std::size_t GenerationHub::running() const {
  std::lock_guard lock(state_->mutex);
  return state_->running;
}

HubStats GenerationHub::stats() const {
  HubStats s;
  s.started = state_->started.load();
  s.deltas = state_->deltas.load();
  std::lock_guard lock(state_->mutex);
  s.running = state_->running;
  s.live = state_->live.size();
  return s;
}

namespace {

asio::awaitable<void> sweep_loop(std::weak_ptr<GenerationHub::State> weak) {
  for (;;) {
    auto state = weak.lock();
    if (!state || state->stopping.load()) co_return;
    state->sweep_timer.expires_after(state->settings.sweep_interval);
    auto& timer = state->sweep_timer;
    state.reset();  // do not keep the hub alive while waiting
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
    if (auto s = weak.lock()) s->sweep();
  }
}

}  // namespace

void GenerationHub::start_sweeper() {
  asio::co_spawn(state_->sweep_timer.get_executor(), sweep_loop(state_), asio::detached);
}

asio::awaitable<void> GenerationHub::shutdown(std::chrono::milliseconds grace) {
  state_->stopping.store(true);  // no new generations
  state_->stop_sweeper();
  std::vector<std::shared_ptr<Generation>> running;
  {
    std::lock_guard lock(state_->mutex);
    for (auto& [id, g] : state_->live) {
      if (!g->finished()) running.push_back(g);
    }
  }
  if (running.empty()) {
    if (state_->cluster) co_await state_->cluster->shutdown();
    co_return;
  }
  state_->logger->info("shutdown: waiting up to {} ms for {} running generations", grace.count(),
                       running.size());
  // First let them finish on their own within the grace period...
  auto deadline = std::chrono::steady_clock::now() + grace;
  for (auto& g : running) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) break;
    co_await g->wait_finished(left);
  }
  // ...then stop the rest, saving what they have as interrupted.
  std::size_t interrupted = 0;
  for (auto& g : running) {
    if (g->finished()) continue;
    g->request_cancel(std::nullopt, store::MessageStatus::interrupted);
    ++interrupted;
  }
  for (auto& g : running) co_await g->wait_finished(std::chrono::seconds(5));
  if (interrupted > 0) {
    state_->logger->warn("shutdown: {} generations saved as interrupted", interrupted);
  }
  if (state_->cluster) co_await state_->cluster->shutdown();
}

}  // namespace chatstream::generation
