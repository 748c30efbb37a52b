#include "http/server.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <stdexcept>

#include "http/metrics.hpp"
#include "http/server_impl.hpp"
#include "util/serial.hpp"

namespace chatstream::http {
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Connections taken at once, after an asynchronous accept, from those already waiting.
constexpr int kAcceptBatch = 64;

void start_session(const std::shared_ptr<Server::Impl>& self, ConnectionSocket socket,
                   const asio::ip::tcp::endpoint& peer) {
  auto executor = socket.get_executor();
  asio::co_spawn(executor, run_session(self, std::move(socket), peer), asio::detached);
}

// Accepts until the acceptor is closed. Survives EMFILE/ENFILE/ENOBUFS by backing off.
// The loop runs once per round of the io_context's ready handlers, and with thousands of open
// streams a round takes milliseconds: one connection per round let a burst of new ones wait
// in the kernel's accept queue for seconds (1,900 of them, measured, while 1,000 streams a
// second were opened next to 9,900 open ones). So each asynchronous accept is followed by
// non-blocking ones that take what else is waiting, up to kAcceptBatch.
asio::awaitable<void> accept_loop(std::shared_ptr<Server::Impl> self) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer backoff(ex);
  auto delay = std::chrono::milliseconds(10);
  boost::system::error_code nb_ec;
  self->acceptor->non_blocking(true, nb_ec);  // for the batch; asynchronous accepts ignore it
  const int batch = nb_ec ? 1 : kAcceptBatch;
  while (!self->stopping.load()) {
    // Its own serial executor directly on the io_context (make_serial looks through the
    // acceptor's strand): connections are not serialized through the accept loop.
    ConnectionSocket socket(util::make_serial(self->acceptor->get_executor()));
    asio::ip::tcp::endpoint peer;  // filled by accept() itself: no getpeername per connection
    auto [ec] =
        co_await self->acceptor->async_accept(socket, peer, asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || self->stopping.load()) break;
    if (ec) {
      self->metrics.accept_error();
      self->logger->warn("accept failed: {}; retrying in {} ms", ec.message(), delay.count());
      backoff.expires_after(delay);
      co_await backoff.async_wait(asio::as_tuple(asio::use_awaitable));
      delay = std::min(delay * 2, std::chrono::milliseconds(1000));
      continue;
    }
    delay = std::chrono::milliseconds(10);
    start_session(self, std::move(socket), peer);
    for (int i = 1; i < batch && !self->stopping.load(); ++i) {
      ConnectionSocket next(util::make_serial(self->acceptor->get_executor()));
      asio::ip::tcp::endpoint next_peer;
      boost::system::error_code next_ec;
      self->acceptor->accept(next, next_peer, next_ec);
      // None waiting (would_block) ends the batch; an error is met again, and reported, by
      // the asynchronous accept.
      if (next_ec) break;
      start_session(self, std::move(next), next_peer);
    }
  }
}

}  // namespace

Server::Impl::Registration Server::Impl::register_session(
    const std::shared_ptr<SessionHandle>& handle) {
  std::lock_guard lock(sessions_mutex);
  sessions.push_front(handle);
  return sessions.begin();
}

void Server::Impl::unregister_session(Registration it) {
  std::lock_guard lock(sessions_mutex);
  sessions.erase(it);
}

Server::Server(ServerConfig config, const Router& router, StaticFiles* static_files,
               Metrics& metrics, std::shared_ptr<spdlog::logger> logger)
    : impl_(std::make_shared<Impl>(std::move(config), router, static_files, metrics,
                                   std::move(logger))) {}

Server::~Server() {
  if (impl_->acceptor) {
    boost::system::error_code ec;
    impl_->acceptor->close(ec);
  }
}

unsigned short Server::start(asio::any_io_executor executor) {
  if (!util::io_executor_of(executor)) {  // refused before anything is bound
    throw std::invalid_argument("http::Server needs an io_context executor");
  }
  auto address = asio::ip::make_address(impl_->config.bind_address);
  tcp::endpoint endpoint(address, impl_->config.port);
  // The accept loop is serial: a strand over several threads, the io_context's own executor on
  // one (util/serial.hpp), so an accepted connection costs no hop through a strand.
  auto acceptor = std::make_unique<tcp::acceptor>(util::make_serial(executor));
  acceptor->open(endpoint.protocol());
  acceptor->set_option(asio::socket_base::reuse_address(true));
  acceptor->bind(endpoint);
  acceptor->listen(asio::socket_base::max_listen_connections);
  unsigned short port = acceptor->local_endpoint().port();
  impl_->acceptor = std::move(acceptor);
  asio::co_spawn(impl_->acceptor->get_executor(), accept_loop(impl_), asio::detached);
  return port;
}

void Server::begin_shutdown() {
  if (impl_->stopping.exchange(true)) return;
  asio::post(impl_->acceptor->get_executor(), [impl = impl_] {
    boost::system::error_code ec;
    impl->acceptor->close(ec);
  });
  std::vector<std::shared_ptr<SessionHandle>> live;
  {
    std::lock_guard lock(impl_->sessions_mutex);
    for (auto& weak : impl_->sessions) {
      if (auto s = weak.lock()) live.push_back(std::move(s));
    }
  }
  for (auto& s : live) {
    asio::post(s->executor, [s] {
      if (s->on_shutdown) s->on_shutdown();
    });
  }
}

std::size_t Server::open_connections() const noexcept {
  return impl_->open.load();
}

}  // namespace chatstream::http
