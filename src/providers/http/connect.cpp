// Connection set-up: DNS, TCP, HTTP CONNECT through a proxy, TLS with SNI and host-name
// verification; the deadline guard.
#include <openssl/ssl.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "providers/http/detail.hpp"
#include "util/deadline.hpp"
#include "util/exact_allocator.hpp"

namespace chatstream::providers::http_detail {
namespace {

constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

ConnectResult fail(std::string detail) {
  ConnectResult r;
  r.failure = HttpFailure::connect;
  r.detail = std::move(detail);
  return r;
}

// Sends CONNECT and reads the proxy's answer head. Returns an error text or empty.
asio::awaitable<std::string> proxy_tunnel(Connection* conn, const Origin& target,
                                          const Proxy& proxy) {
  std::string req =
      "CONNECT " + target.authority() + " HTTP/1.1\r\nHost: " + target.authority() + "\r\n";
  if (!proxy.authorization.empty()) req += "Proxy-Authorization: " + proxy.authorization + "\r\n";
  req += "\r\n";
  if (auto ec = co_await conn->write_all(req)) co_return "proxy write failed: " + ec.message();
  std::string head;
  char buf[1024];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > 16384) co_return "proxy answer too large";
    auto [ec, n] = co_await conn->read_some(asio::buffer(buf));
    if (ec) co_return "proxy closed the connection: " + ec.message();
    head.append(buf, n);
  }
  if (head.size() != head.find("\r\n\r\n") + 4) co_return "proxy sent data after its answer";
  // "HTTP/1.1 200 Connection established"
  const auto sp = head.find(' ');
  const std::string status = sp == std::string::npos ? "" : head.substr(sp + 1, 3);
  if (status != "200")
    co_return "proxy refused CONNECT with status " + (status.empty() ? "?" : status);
  co_return "";
}

}  // namespace

Connection::Connection(const asio::any_io_executor& ex, ssl::context& ctx, Origin origin)
    : socket_(ex), origin_(std::move(origin)) {
  if (origin_.tls) tls_ = std::make_unique<ssl::stream<tcp::socket>>(ex, ctx);
}

void Connection::close() noexcept {
  boost::system::error_code ec;
  socket().shutdown(tcp::socket::shutdown_both, ec);
  socket().close(ec);
}

bool Connection::looks_reusable() {
  if (!socket().is_open()) return false;
  boost::system::error_code ec;
  // The socket stays non-blocking: its only synchronous use is read_now, which wants that too
  // (asynchronous operations do not depend on the flag). One system call per check.
  if (!socket().non_blocking()) {
    socket().non_blocking(true, ec);
    if (ec) return false;
  }
  char c = 0;
  const std::size_t n = socket().receive(asio::buffer(&c, 1), tcp::socket::message_peek, ec);
  const bool idle = ec == asio::error::would_block || ec == asio::error::try_again;
  return idle && n == 0;
}

asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> Connection::read_some(
    asio::mutable_buffer buf) {
  if (tls_active_) co_return co_await tls_->async_read_some(buf, kAwait);
  co_return co_await socket().async_read_some(buf, kAwait);
}

asio::awaitable<boost::system::error_code> Connection::write_all(std::string_view bytes) {
  if (tls_active_) {
    auto [ec, n] = co_await asio::async_write(*tls_, asio::buffer(bytes), kAwait);
    co_return ec;
  }
  auto [ec, n] = co_await asio::async_write(socket(), asio::buffer(bytes), kAwait);
  co_return ec;
}

std::size_t Connection::read_now(asio::mutable_buffer buf, boost::system::error_code& ec) {
  auto& s = socket();
  if (!s.non_blocking()) {
    s.non_blocking(true, ec);
    if (ec) return 0;
  }
  return s.read_some(buf, ec);
}

void Guard::arm(HttpFailure phase, std::chrono::milliseconds timeout) {
  Clock::time_point at = timeout.count() > 0 ? util::coalesced_deadline(Clock::now(), timeout)
                                             : Clock::time_point::max();
  pending = phase;
  if (total_deadline <= at) {
    at = total_deadline;
    pending = HttpFailure::timeout_total;
  }
  deadline = at;
  if (at < timer.expiry()) {
    timer.expires_at(at);  // a pending handler wakes (aborted) and waits for the new expiry
    if (!waiting) wait();
  }
}

void Guard::finish() noexcept {
  done = true;
  conn = nullptr;
  resolver = nullptr;
  timer.cancel();
}

void Guard::wait() {
  waiting = true;
  // Pending for most of the request's life: exact-size memory (util/exact_allocator.hpp).
  timer.async_wait(asio::bind_allocator(
      util::ExactAllocator<void>(),
      [self = shared_from_this()](const boost::system::error_code& ec) { self->on_timer(ec); }));
}

void Guard::on_timer(const boost::system::error_code& ec) {
  waiting = false;
  if (done) return;
  if (ec) return wait();  // moved earlier by arm(): wait for the new expiry
  if (deadline <= Clock::now()) {
    fired = true;
    fired_as = pending;
    close_connection();
    return;
  }
  timer.expires_at(deadline);  // pushed back since: sleep until then
  wait();
}

namespace {

// The connect waited for writability, and the reactor keeps watching for it from then on:
// every later wait for a response byte re-armed the socket with writability included, and an
// idle writable socket reported it at once (a wake-up per token for nothing). Registering the
// connected socket anew leaves it watched for readability only; a write that ever has to wait
// adds writability back for itself.
void forget_connect_wait(tcp::socket& socket) {
  boost::system::error_code ec;
  const auto protocol = socket.local_endpoint(ec).protocol();
  if (ec) return;
  const auto fd = socket.release(ec);
  if (ec) return;
  socket.assign(protocol, fd, ec);
  if (ec) ::close(fd);  // not reachable in practice; the connection then fails on first use
}

}  // namespace

asio::awaitable<ConnectResult> open_connection(HttpClient::Impl* impl, Origin origin,
                                               std::optional<Proxy> proxy, Guard* guard) {
  auto ex = co_await asio::this_coro::executor;
  auto conn = std::make_unique<Connection>(ex, impl->tls_context, origin);
  guard->conn = conn.get();
  guard->arm(HttpFailure::timeout_connect, impl->config.connect_timeout);
  const Origin& dial = proxy ? proxy->origin : origin;
  boost::system::error_code cec;
  boost::system::error_code not_ip;
  const asio::ip::address address = asio::ip::make_address(dial.host, not_ip);
  if (!not_ip) {
    // An address (the usual local server, 127.0.0.1): no lookup, no hop to the resolver's
    // thread.
    const tcp::endpoint endpoint(address, dial.port);
    auto [ec] = co_await conn->socket().async_connect(endpoint, kAwait);
    cec = ec;
  } else {
    ++impl->name_lookups;
    tcp::resolver resolver(ex);
    guard->resolver = &resolver;
    // A resolve does not support per-operation cancellation: the caller's cancellation cancels
    // the resolver by hand.
    asio::cancellation_slot slot = (co_await asio::this_coro::cancellation_state).slot();
    if (slot.is_connected()) {
      slot.assign([&resolver](asio::cancellation_type) { resolver.cancel(); });
    }
    auto [rec, endpoints] =
        co_await resolver.async_resolve(dial.host, std::to_string(dial.port), kAwait);
    if (slot.is_connected()) slot.clear();
    guard->resolver = nullptr;
    if (rec) co_return fail("cannot resolve " + dial.host + ": " + rec.message());
    if (guard->fired || (co_await asio::this_coro::cancellation_state).cancelled() !=
                            asio::cancellation_type::none) {
      co_return fail("connect interrupted");
    }
    auto [ec, ep] = co_await asio::async_connect(conn->socket(), endpoints, kAwait);
    cec = ec;
  }
  if (cec) co_return fail("cannot connect to " + dial.authority() + ": " + cec.message());
  ++impl->connections_opened;
  boost::system::error_code ignored;
  conn->socket().set_option(tcp::no_delay(true), ignored);
  forget_connect_wait(conn->socket());
  if (proxy) {
    const std::string err = co_await proxy_tunnel(conn.get(), origin, *proxy);
    if (!err.empty()) co_return fail(err);
  }
  if (origin.tls) {
    auto& s = conn->tls_stream();
    if (!origin.host_is_ip() &&
        SSL_set_tlsext_host_name(s.native_handle(), origin.host.c_str()) != 1) {
      co_return fail("cannot set TLS SNI");
    }
    s.set_verify_mode(ssl::verify_peer);
    s.set_verify_callback(ssl::host_name_verification(origin.host));
    auto [hec] = co_await s.async_handshake(ssl::stream_base::client, kAwait);
    if (hec) co_return fail("TLS handshake with " + origin.host + " failed: " + hec.message());
    ++impl->tls_handshakes;
    conn->set_tls_active();
  }
  ConnectResult r;
  r.conn = std::move(conn);
  co_return r;
}

}  // namespace chatstream::providers::http_detail
