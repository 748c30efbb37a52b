// Internal to http/: state shared by the listener (server.cpp) and sessions (session.cpp).
#pragma once

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/strand.hpp>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

#include "http/server.hpp"

namespace chatstream::http {

// A live connection as the server sees it, so that shutdown can reach it on its strand.
struct SessionHandle {
  explicit SessionHandle(boost::asio::any_io_executor ex) : strand(std::move(ex)) {}
  boost::asio::any_io_executor strand;
  // Runs on `strand` when the server shuts down. Set and read only on `strand`.
  std::function<void()> on_shutdown;
};

struct Server::Impl : std::enable_shared_from_this<Server::Impl> {
  Impl(ServerConfig c, const Router& r, StaticFiles* s, Metrics& m,
       std::shared_ptr<spdlog::logger> l)
      : config(std::move(c)), router(r), static_files(s), metrics(m), logger(std::move(l)) {}

  ServerConfig config;
  const Router& router;
  StaticFiles* static_files;
  Metrics& metrics;
  std::shared_ptr<spdlog::logger> logger;

  std::unique_ptr<boost::asio::ip::tcp::acceptor> acceptor;
  std::atomic<bool> stopping{false};
  std::atomic<std::size_t> open{0};

  std::mutex sessions_mutex;
  std::list<std::weak_ptr<SessionHandle>> sessions;

  std::list<std::weak_ptr<SessionHandle>>::iterator register_session(
      const std::shared_ptr<SessionHandle>& handle);
  void unregister_session(std::list<std::weak_ptr<SessionHandle>>::iterator it);
};

// Runs one connection to completion (defined in session.cpp). Spawned on the socket's strand.
boost::asio::awaitable<void> run_session(std::shared_ptr<Server::Impl> server,
                                         boost::asio::ip::tcp::socket socket);

}  // namespace chatstream::http
