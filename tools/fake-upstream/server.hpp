// fake-upstream's listener: accepts connections (plain or TLS) and runs one session coroutine
// per connection on its own strand.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "responder.hpp"
#include "transport.hpp"

namespace chatstream::fake_upstream {

// `state` and `tls` are used by the connection coroutines: declare them BEFORE the io_context, so
// they outlive the coroutine frames that the io_context destroys when it goes away.
class Server {
 public:
  // Binds and listens at once (throws boost::system::system_error if that fails).
  // `tls` may be null (plain TCP).
  Server(asio::io_context& ioc, asio::ip::tcp::endpoint listen, ServerState& state, TlsServer* tls);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  unsigned short port() const;
  void start();  // spawns the accept loop
  void stop();   // closes the acceptor; open connections are dropped with the io_context

  ServerState& state() { return state_; }

 private:
  asio::io_context& ioc_;
  asio::ip::tcp::acceptor acceptor_;
  ServerState& state_;
  TlsServer* tls_;
};

// One connection: optional TLS handshake, then requests until close (session.cpp).
asio::awaitable<void> run_connection(asio::ip::tcp::socket socket, ServerState* state,
                                     TlsServer* tls);

}  // namespace chatstream::fake_upstream
