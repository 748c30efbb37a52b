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

// Accepts until the acceptor is closed. Survives EMFILE/ENFILE/ENOBUFS by backing off.
asio::awaitable<void> accept_loop(std::shared_ptr<Server::Impl> self) {
  auto ex = co_await asio::this_coro::executor;
  asio::steady_timer backoff(ex);
  auto delay = std::chrono::milliseconds(10);
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
    auto executor = socket.get_executor();
    asio::co_spawn(executor, run_session(self, std::move(socket), peer), asio::detached);
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
