#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_future.hpp>

#include "api/openai/gateway.hpp"
#include "api/routes.hpp"
#include "app/debug_stream.hpp"
#include "app/logging.hpp"
#include "generation/hub.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "providers/config.hpp"
#include "providers/registry.hpp"
#include "store/store.hpp"

namespace chatstream::app {
namespace asio = boost::asio;

namespace {

void write_port_file(const std::filesystem::path& path, unsigned short port) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << port << "\n";
  }
  std::filesystem::rename(tmp, path);
}

asio::awaitable<http::Response> healthz(http::Request) {
  http::Response r;
  r.body = R"({"status":"ok"})";
  r.set_header("Cache-Control", "no-store");
  co_return r;
}

// Graceful shutdown, in stages: stop accepting and end open event streams, let running
// generations finish within the grace period (then save the rest as interrupted), wait for
// requests in flight, stop. A second signal stops at once.
asio::awaitable<void> shutdown_sequence(asio::io_context* ioc, http::Server* server,
                                        generation::GenerationHub* hub,
                                        std::chrono::milliseconds grace,
                                        std::shared_ptr<spdlog::logger> logger) {
  const auto deadline = std::chrono::steady_clock::now() + grace;
  server->begin_shutdown();
  co_await hub->shutdown(grace);
  asio::steady_timer timer(co_await asio::this_coro::executor);
  while (server->open_connections() > 0 && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(20));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  if (server->open_connections() > 0) {
    logger->warn("grace period over; closing {} connections", server->open_connections());
  }
  ioc->stop();
}

void arm_signals(asio::signal_set& signals, asio::io_context& ioc, http::Server& server,
                 generation::GenerationHub& hub, std::chrono::milliseconds grace,
                 std::shared_ptr<spdlog::logger> logger, bool started = false) {
  signals.async_wait([&signals, &ioc, &server, &hub, grace, logger, started](
                         boost::system::error_code ec, int signo) {
    if (ec) return;
    if (started) {
      logger->warn("second signal {}: stopping now", signo);
      ioc.stop();
      return;
    }
    logger->info("signal {}: shutting down (grace {} ms)", signo, grace.count());
    asio::co_spawn(ioc, shutdown_sequence(&ioc, &server, &hub, grace, logger), asio::detached);
    arm_signals(signals, ioc, server, hub, grace, logger, true);
  });
}

std::optional<std::string> env_lookup(std::string_view name) {
  if (const char* v = std::getenv(std::string(name).c_str())) return std::string(v);
  return std::nullopt;
}

std::string database_url(const Config& config) {
  if (!config.database.empty()) return config.database;
  return (config.data_dir / "chatstream.db").string();
}

}  // namespace

int run(Config config) {
  auto logger = make_logger(config.log_format, config.log_level);
  const unsigned threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  // History store (its own threads), recovering from a previous crash first.
  store::StoreConfig store_config;
  store_config.url = database_url(config);
  std::unique_ptr<store::Store> store;
  try {
    store = store::open_store(store_config);
    asio::io_context startup;  // before serving: run the recovery to completion
    auto pending = asio::co_spawn(startup, store->mark_interrupted_streaming(), asio::use_future);
    startup.run();
    auto recovered = pending.get();
    if (recovered > 0) {
      logger->warn("{} answers were cut off by a previous stop; marked interrupted", recovered);
    }
  } catch (const std::exception& e) {
    logger->error("cannot open the history database: {}", e.what());  // the URL may hold a password
    return 1;
  }

  // Model providers.
  std::unique_ptr<providers::Registry> registry;
  try {
    registry = std::make_unique<providers::Registry>(
        providers::provider_configs_from(config.file.get(), env_lookup),
        providers::http_client_config_from(config.file.get(), env_lookup), logger);
  } catch (const std::exception& e) {
    logger->error("provider configuration: {}", e.what());
    return 2;
  }
  for (const auto& m : registry->models()) {
    logger->info("model {} ({}{})", m.id, m.provider, m.simulated ? ", simulated offline" : "");
  }

  generation::HubSettings hub_settings;
  hub_settings.persist_interval = config.generation.persist_interval;
  hub_settings.log_grace = config.generation.log_grace;
  if (config.generation.cancel_unwatched_after.count() > 0) {
    hub_settings.cancel_unwatched_after = config.generation.cancel_unwatched_after;
  }
  hub_settings.max_concurrent = config.generation.max_concurrent;
  generation::GenerationHub hub(ioc.get_executor(), *store, hub_settings, logger);
  hub.start_sweeper();

  http::Metrics metrics;
  metrics.add_callback("chatstream_generations_running", "gauge", "Generations running.",
                       [&hub] { return static_cast<double>(hub.stats().running); });
  metrics.add_callback("chatstream_generations_started_total", "counter", "Generations started.",
                       [&hub] { return static_cast<double>(hub.stats().started); });
  metrics.add_callback("chatstream_generation_deltas_total", "counter",
                       "Text deltas relayed from providers.",
                       [&hub] { return static_cast<double>(hub.stats().deltas); });
  metrics.add_callback("chatstream_store_write_transactions_total", "counter",
                       "Committed store write transactions.",
                       [&store] { return static_cast<double>(store->stats().write_transactions); });
  metrics.add_callback("chatstream_store_queue_depth", "gauge", "Store writes waiting.",
                       [&store] { return static_cast<double>(store->stats().queue_depth); });

  api::ApiSettings api_settings;
  api_settings.max_message_bytes = config.generation.max_message_bytes;
  api_settings.context_budget_chars = config.generation.context_budget_chars;
  api_settings.auto_titles = config.generation.auto_titles;
  api::ApiContext api_context{*store, hub, *registry, api_settings, logger};

  http::Router router;
  router.add("GET", "/healthz", healthz);
  api::add_routes(router, api_context);

  // The OpenAI-compatible gateway (/v1).
  auto gateway = std::make_shared<api::openai::GatewayContext>();
  try {
    gateway->config = api::openai::gateway_config_from(config.file.get(), env_lookup);
  } catch (const std::invalid_argument& e) {
    logger->error("{}", e.what());
    return 2;
  }
  if (config.gateway_history) gateway->config.history = true;
  gateway->resolve = api::openai::registry_resolver(*registry);
  gateway->list_models = api::openai::registry_models(*registry);
  gateway->executor = ioc.get_executor();
  gateway->logger = logger;
  gateway->store = store.get();
  api::openai::add_routes(router, gateway);
  router.add("GET", "/metrics", [&metrics](http::Request) {
    http::Response r;
    r.content_type = "text/plain; version=0.0.4; charset=utf-8";
    r.body = metrics.render();
    return http::ready(std::move(r));
  });
  if (config.debug_endpoints) add_debug_routes(router);

  http::StaticFiles static_files(config.web_root);
  http::Server server(config.server, router, &static_files, metrics, logger);
  unsigned short port = 0;
  try {
    port = server.start(ioc.get_executor());
  } catch (const std::system_error& e) {
    logger->error("cannot listen on {}:{}: {}", config.server.bind_address, config.server.port,
                  e.what());
    return 1;
  }
  if (!config.port_file.empty()) write_port_file(config.port_file, port);
  logger->info("chatstream listening on http://{}:{} ({} threads, web root {})",
               config.server.bind_address, port, threads, static_files.root().string());

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  arm_signals(signals, ioc, server, hub, config.shutdown_grace, logger);

  std::vector<std::jthread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  logger->info("stopped");
  return 0;  // the store commits what is still queued when it is destroyed
}

}  // namespace chatstream::app
