#include "app/app.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <filesystem>
#include <fstream>
#include <thread>

#include "app/debug_stream.hpp"
#include "app/logging.hpp"
#include "http/metrics.hpp"
#include "http/server.hpp"
#include "http/static_files.hpp"

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

// Drives graceful shutdown: stop accepting, let requests in flight finish within the grace
// period, then stop the io_context (which cancels whatever is left).
class Shutdown {
 public:
  Shutdown(asio::io_context& ioc, http::Server& server, std::chrono::milliseconds grace,
           std::shared_ptr<spdlog::logger> logger)
      : ioc_(ioc),
        server_(server),
        grace_(grace),
        logger_(std::move(logger)),
        signals_(ioc, SIGINT, SIGTERM),
        timer_(ioc) {}

  void arm() {
    signals_.async_wait([this](boost::system::error_code ec, int signo) {
      if (ec) return;
      if (started_) {
        logger_->warn("second signal {}: stopping now", signo);
        ioc_.stop();
        return;
      }
      started_ = true;
      logger_->info("signal {}: shutting down (grace {} ms)", signo, grace_.count());
      deadline_ = std::chrono::steady_clock::now() + grace_;
      server_.begin_shutdown();
      poll();
      arm();
    });
  }

 private:
  void poll() {
    if (server_.open_connections() == 0 || std::chrono::steady_clock::now() >= deadline_) {
      if (server_.open_connections() > 0) {
        logger_->warn("grace period over; closing {} connections", server_.open_connections());
      }
      signals_.cancel();
      ioc_.stop();
      return;
    }
    timer_.expires_after(std::chrono::milliseconds(20));
    timer_.async_wait([this](boost::system::error_code ec) {
      if (!ec) poll();
    });
  }

  asio::io_context& ioc_;
  http::Server& server_;
  std::chrono::milliseconds grace_;
  std::shared_ptr<spdlog::logger> logger_;
  asio::signal_set signals_;
  asio::steady_timer timer_;
  bool started_ = false;
  std::chrono::steady_clock::time_point deadline_;
};

}  // namespace

int run(Config config) {
  auto logger = make_logger(config.log_format, config.log_level);
  const unsigned threads =
      config.threads ? config.threads : std::max(1u, std::thread::hardware_concurrency());
  asio::io_context ioc(static_cast<int>(threads));

  http::Metrics metrics;
  http::Router router;
  router.add("GET", "/healthz", healthz);
  router.add("GET", "/readyz", healthz);
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

  Shutdown shutdown(ioc, server, config.shutdown_grace, logger);
  shutdown.arm();

  std::vector<std::jthread> pool;
  for (unsigned i = 1; i < threads; ++i) pool.emplace_back([&ioc] { ioc.run(); });
  ioc.run();
  for (auto& t : pool) t.join();
  logger->info("stopped");
  return 0;
}

}  // namespace chatstream::app
