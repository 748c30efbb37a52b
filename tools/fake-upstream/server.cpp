#include "server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>

namespace chatstream::fake_upstream {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Keeps accepting when accept fails (EMFILE…): report, back off, go on.
asio::awaitable<void> accept_loop(asio::io_context* ioc, asio::ip::tcp::acceptor* acceptor,
                                  ServerState* state, TlsServer* tls) {
  asio::steady_timer backoff(*ioc);
  for (;;) {
    auto [ec, socket] = co_await acceptor->async_accept(asio::make_strand(*ioc), kTuple);
    if (ec == asio::error::operation_aborted || !acceptor->is_open()) co_return;
    if (ec) {
      std::fprintf(stderr, "fake-upstream: accept: %s\n", ec.message().c_str());
      backoff.expires_after(std::chrono::milliseconds(20));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    boost::system::error_code opt_ec;
    socket.set_option(asio::ip::tcp::no_delay(true), opt_ec);
    auto ex = socket.get_executor();
    asio::co_spawn(ex, run_connection(std::move(socket), state, tls), asio::detached);
  }
}

}  // namespace

Server::Server(asio::io_context& ioc, asio::ip::tcp::endpoint listen, ServerState& state,
               TlsServer* tls)
    : ioc_(ioc), acceptor_(ioc), state_(state), tls_(tls) {
  acceptor_.open(listen.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(listen);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

Server::~Server() = default;

unsigned short Server::port() const {
  return acceptor_.local_endpoint().port();
}

void Server::start() {
  asio::co_spawn(ioc_, accept_loop(&ioc_, &acceptor_, &state_, tls_), asio::detached);
}

void Server::stop() {
  boost::system::error_code ec;
  acceptor_.close(ec);
}

}  // namespace chatstream::fake_upstream
