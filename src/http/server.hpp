// The HTTP/1.x server: listener, per-connection sessions, limits, SSE streaming and graceful
// shutdown. Beast stays inside server.cpp/session.cpp; this header is light on purpose.
#pragma once

#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>

#include "http/router.hpp"
#include "http/security.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::http {

class Metrics;
class StaticFiles;

struct ServerConfig {
  std::string bind_address = "127.0.0.1";
  unsigned short port = 8080;  // 0 = ephemeral
  std::size_t max_header_bytes = 16 * 1024;
  std::size_t max_body_bytes = 1024 * 1024;
  std::chrono::milliseconds request_timeout{std::chrono::seconds(30)};    // whole request
  std::chrono::milliseconds keepalive_timeout{std::chrono::seconds(75)};  // idle between requests
  std::chrono::milliseconds write_timeout{std::chrono::seconds(30)};      // each write's progress
  std::chrono::milliseconds sse_heartbeat{std::chrono::seconds(15)};
  std::chrono::milliseconds sse_retry_hint{std::chrono::seconds(2)};
  std::size_t max_connections = 20000;
  SecurityConfig security;
};

// Owns the listener and tracks sessions. Thread-safe; runs on the executor given to start().
class Server {
 public:
  Server(ServerConfig config, const Router& router, StaticFiles* static_files, Metrics& metrics,
         std::shared_ptr<spdlog::logger> logger);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and starts accepting; throws std::system_error when the address cannot be bound.
  // Returns the bound port. `executor` must be an io_context's (or a strand on one); other
  // executors are refused with std::invalid_argument.
  unsigned short start(boost::asio::any_io_executor executor);

  // Stops accepting, closes idle keep-alive connections, tells SSE streams to end (an
  // `event: shutdown` with a retry hint). Requests in flight finish normally.
  void begin_shutdown();

  std::size_t open_connections() const noexcept;

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatstream::http
