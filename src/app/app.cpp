#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/address.hpp>
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
#include "auth/redis_limits.hpp"
#include "auth/service.hpp"
#include "generation/cluster/cluster.hpp"
#include "generation/hub.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"
#include "providers/config.hpp"
#include "providers/registry.hpp"
#include "store/accounts.hpp"
#include "store/store.hpp"
#include "util/serial.hpp"
#include "util/time.hpp"

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

asio::awaitable<http::Response> healthz([[maybe_unused]] http::Request req) {
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

auth::AuthSettings auth_settings(const Config& config) {
  const auto& a = config.accounts;
  auth::AuthSettings s;
  s.mode = auth::mode_from_string(a.mode).value_or(auth::Mode::single_user);
  s.secure_cookie = a.behind_tls;
  s.trust_forwarded_for = a.trust_forwarded_for;
  s.session_idle = a.session_idle;
  s.session_absolute = a.session_lifetime;
  s.limits = {a.user_max_generations, a.user_requests_per_minute, a.user_tokens_per_day};
  s.account_lockout.free_failures = a.login_free_attempts;
  s.account_lockout.base_ms = a.login_lockout.count();
  s.account_lockout.max_ms = a.login_lockout_max.count();
  s.address_lockout = s.account_lockout;
  s.address_lockout.free_failures = a.login_ip_free_attempts;
  s.password_cost =
      auth::password_cost_from_string(a.password_cost).value_or(auth::PasswordCost::interactive());
  return s;
}

// Removes expired sessions once an hour.
asio::awaitable<void> sweep_sessions(store::AccountStore* accounts, std::int64_t idle_ms,
                                     std::shared_ptr<spdlog::logger> logger) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  for (;;) {
    try {
      co_await accounts->delete_expired_sessions(util::now_epoch_ms(), idle_ms);
    } catch (const std::exception& e) {
      logger->warn("expired sessions not removed: {}", e.what());
    }
    timer.expires_after(std::chrono::hours(1));
    auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (ec) co_return;
  }
}

void warn_about_exposure(const Config& config, const auth::Accounts& accounts,
                         spdlog::logger& logger) {
  boost::system::error_code ec;
  auto address = asio::ip::make_address(config.server.bind_address, ec);
  if (ec || address.is_loopback()) return;
  if (!config.accounts.behind_tls) {
    logger.warn(
        "listening on {} over plain HTTP: passwords and session cookies would cross the network "
        "in clear. Put a TLS-terminating reverse proxy (Caddy, nginx) in front and pass "
        "--behind-tls; see docs/accounts.md",
        config.server.bind_address);
  }
  if (!accounts.multi_user()) {
    logger.warn("single-user mode on {} with --allow-remote-unauthenticated: no login at all",
                config.server.bind_address);
  }
}

}  // namespace

int run(Config config) {
  auto logger = make_logger(config.log_format, config.log_level);
  const unsigned threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  // One thread: connections, relays and generations run on the io_context's executor itself,
  // without a strand each (util/serial.hpp), and the reactor takes no lock per socket operation
  // (every socket is used by that thread only; other threads, such as the store's, hand their
  // results back through the scheduler, which keeps its lock).
  asio::io_context ioc(threads == 1 ? BOOST_ASIO_CONCURRENCY_HINT_UNSAFE_IO
                                    : static_cast<int>(threads));
  if (threads == 1) util::mark_single_threaded(ioc);

  // History store (its own threads), recovering from a previous crash first.
  store::StoreConfig store_config;
  store_config.url = database_url(config.data_dir, config.database);
  std::unique_ptr<store::Store> store;
  try {
    store = store::open_store(store_config);
  } catch (const std::exception& e) {
    logger->error("cannot open the history database: {}", e.what());  // the URL may hold a password
    return 1;
  }
  // With several instances a streaming message may belong to another live instance: dead
  // owners are found through their Redis lease instead (generation/cluster/).
  if (config.cluster.redis.empty()) {
    try {
      asio::io_context startup;  // before serving: run the recovery to completion
      auto pending = asio::co_spawn(startup, store->mark_interrupted_streaming(), asio::use_future);
      startup.run();
      auto recovered = pending.get();
      if (recovered > 0) {
        logger->warn("{} answers were cut off by a previous stop; marked interrupted", recovered);
      }
    } catch (const std::exception& e) {
      logger->error("cannot read the history database: {}", e.what());
      return 1;
    }
  }

  // Accounts: mode, sessions, per-user limits (shared by the instances through Redis, with
  // this instance's own limits while Redis does not answer: auth/redis_limits.hpp).
  const auto account_settings = auth_settings(config);
  std::shared_ptr<auth::RedisLimits> shared_limits;
  if (!config.cluster.redis.empty() && account_settings.mode == auth::Mode::multi_user) {
    auth::RedisLimitsSettings ls;
    ls.redis_url = config.cluster.redis;
    ls.instance_id = config.cluster.instance_id;
    ls.slot_ttl = config.cluster.lease_ttl;
    ls.account_lockout = account_settings.account_lockout;
    ls.address_lockout = account_settings.address_lockout;
    try {
      shared_limits = std::make_shared<auth::RedisLimits>(ioc.get_executor(), ls, logger);
    } catch (const std::invalid_argument& e) {
      logger->error("--redis: {}", e.what());
      return 2;
    }
    shared_limits->start();
  }
  std::unique_ptr<auth::Accounts> accounts;
  std::optional<std::string> setup_token;
  try {
    accounts =
        std::make_unique<auth::Accounts>(account_settings, &store->accounts(), ioc.get_executor(),
                                         logger, auth::system_clock(), shared_limits);
    asio::io_context startup;
    auto pending = asio::co_spawn(startup, accounts->prepare_setup(), asio::use_future);
    startup.run();
    setup_token = pending.get();
  } catch (const std::exception& e) {
    logger->error("accounts: {}", e.what());
    return 1;
  }
  logger->info("mode {}", auth::to_string(accounts->mode()));

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
  if (!config.cluster.redis.empty()) {
    generation::ClusterSettings cluster_settings;
    cluster_settings.redis_url = config.cluster.redis;
    cluster_settings.instance_id = config.cluster.instance_id;
    cluster_settings.lease_ttl = config.cluster.lease_ttl;
    cluster_settings.log_grace = config.generation.log_grace;
    std::shared_ptr<generation::RedisCluster> cluster;
    try {
      cluster = std::make_shared<generation::RedisCluster>(ioc.get_executor(), *store, hub,
                                                           cluster_settings, logger);
    } catch (const std::invalid_argument& e) {
      logger->error("--redis: {}", e.what());
      return 2;
    }
    cluster->start();
    hub.set_cluster(cluster);
  }

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
  api::ApiContext api_context{*store, hub, *registry, api_settings, logger, accounts.get()};

  http::Router router;
  router.set_guard([acc = accounts.get()](http::Request& req, const http::RouteOptions& options) {
    return acc->guard(&req, options.access);
  });
  router.add("GET", "/healthz", healthz,
             {.json_body = false, .name = {}, .access = http::Access::anyone});
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
  gateway->accounts = accounts.get();
  if (accounts->multi_user() && !gateway->config.token_hashes.empty()) {
    logger->warn(
        "multi-user mode: the configured gateway tokens are ignored; /v1 takes the "
        "personal API tokens users create in the web app");
  }
  api::openai::add_routes(router, gateway);
  router.add("GET", "/metrics",
             [&metrics](http::Request) {
               http::Response r;
               r.content_type = "text/plain; version=0.0.4; charset=utf-8";
               r.body = metrics.render();
               return http::ready(std::move(r));
             },
             {.json_body = false, .name = {}, .access = http::Access::admin});
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
  warn_about_exposure(config, *accounts, *logger);
  if (setup_token) {
    logger->warn(
        "no user account yet. Create the first administrator in the web app at "
        "http://{}:{}/setup?token={} (one-time setup token), or with `chatstream user add <name> "
        "--role admin`",
        config.server.bind_address, port, *setup_token);
  }
  if (accounts->multi_user()) {
    asio::co_spawn(ioc,
                   sweep_sessions(&store->accounts(), config.accounts.session_idle.count(), logger),
                   asio::detached);
  }

  asio::signal_set signals(ioc, SIGINT, SIGTERM);
  arm_signals(signals, ioc, server, hub, config.shutdown_grace, logger);

  std::vector<std::jthread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  if (shared_limits) {
    shared_limits->stop();  // slots still held expire with their lease
    // The stop, and the failure of commands still waiting for Redis, run on the io_context:
    // run them now. A waiting command holds the limits, which hold the client that holds
    // the command: left queued, they would never be freed.
    ioc.restart();
    ioc.poll();
  }
  logger->info("stopped");
  return 0;  // the store commits what is still queued when it is destroyed
}

}  // namespace chatstream::app
