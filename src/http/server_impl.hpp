// Internal to http/: state shared by the listener (server.cpp) and sessions (session.cpp).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

#include "http/server.hpp"

namespace chatstream::http {

// A connection's executor, serial (util/serial.hpp): a strand of its own directly on the
// io_context, or the io_context's executor itself when one thread runs the io_context.
using ConnectionExecutor = boost::asio::any_io_executor;
using ConnectionSocket = boost::asio::basic_stream_socket<boost::asio::ip::tcp, ConnectionExecutor>;

// A live connection as the server sees it, so that shutdown can reach it on its executor.
struct SessionHandle {
  explicit SessionHandle(ConnectionExecutor ex) : executor(std::move(ex)) {}
  ConnectionExecutor executor;
  // Runs on `executor` when the server shuts down. Set and read only on `executor`.
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

  using Registration = std::list<std::weak_ptr<SessionHandle>>::iterator;
  Registration register_session(const std::shared_ptr<SessionHandle>& handle);
  void unregister_session(Registration it);
};

// Runs one connection (defined in session.cpp). Spawned on the socket's executor. A connection
// that turns into an SSE stream is handed over to a callback-driven writer and the coroutine
// ends; the writer ends the session when the stream ends. `peer`: the client's address, as
// accept() returned it.
boost::asio::awaitable<void> run_session(std::shared_ptr<Server::Impl> server,
                                         ConnectionSocket socket,
                                         boost::asio::ip::tcp::endpoint peer);

}  // namespace chatstream::http
