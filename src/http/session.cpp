// One coroutine per connection: read a request under limits and deadlines, dispatch it through
// the router (or static files), write the answer, repeat while keep-alive allows.
#include <spdlog/spdlog.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <algorithm>
#include <cctype>
#include <optional>
#include <random>

#include "http/connection.hpp"
#include "http/dispatch.hpp"
#include "http/error.hpp"
#include "http/metrics.hpp"
#include "http/url.hpp"

namespace chatstream::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using Clock = std::chrono::steady_clock;

namespace {

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char kHex[] = "0123456789abcdef";
  std::uint64_t v = rng();
  std::string id(16, '0');
  for (auto& c : id) {
    c = kHex[v & 15];
    v >>= 4;
  }
  return id;
}

bool valid_incoming_request_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  return std::all_of(id.begin(), id.end(), [](unsigned char c) {
    return std::isalnum(c) || c == '-' || c == '_' || c == '.';
  });
}

Request to_request(bhttp::request<bhttp::string_body>&& msg, const Connection& conn) {
  Request req;
  req.method = std::string(msg.method_string());
  req.target = std::string(msg.target());
  std::string_view target = req.target;
  auto q = target.find('?');
  auto raw_path = target.substr(0, q);
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));
  auto decoded = percent_decode(raw_path);
  req.path = decoded ? std::move(*decoded) : std::string();
  req.version = msg.version();
  req.headers.reserve(16);
  for (const auto& field : msg) {
    std::string name(field.name_string());
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    req.headers.emplace_back(std::move(name), std::string(field.value()));
  }
  req.body = std::move(msg.body());
  req.remote_address = conn.remote_address;
  req.remote_is_loopback = conn.remote_is_loopback;
  std::string_view incoming = req.header("x-request-id");
  req.request_id = valid_incoming_request_id(incoming) ? std::string(incoming) : new_request_id();
  return req;
}

// Maps a failed request read to the error answer (nullopt: just close).
std::optional<Response> read_error_response(const boost::system::error_code& ec) {
  if (ec == bhttp::error::header_limit) {
    return json_error(431, "headers_too_large", "The request headers are too large.");
  }
  if (ec == bhttp::error::body_limit) {
    return json_error(413, "body_too_large", "The request body is too large.");
  }
  if (ec == bhttp::error::end_of_stream || ec == beast::error::timeout ||
      ec == asio::error::operation_aborted || ec == asio::error::eof ||
      ec == asio::error::connection_reset || ec == bhttp::error::partial_message) {
    return std::nullopt;
  }
  if (ec.category() == boost::system::error_code(bhttp::error::bad_method).category()) {
    return json_error(400, "bad_request", "The request is not valid HTTP.");
  }
  return std::nullopt;
}

template <class Body>
asio::awaitable<std::size_t> write_message(std::shared_ptr<Connection> conn,
                                           std::chrono::milliseconds timeout,
                                           bhttp::response<Body> msg) {
  conn->stream.expires_after(timeout);
  auto [ec, n] =
      co_await bhttp::async_write(conn->stream, msg, asio::as_tuple(asio::use_awaitable));
  conn->stream.expires_never();
  co_return ec ? 0 : n;
}

bhttp::response<bhttp::string_body> to_beast(Response&& r, const std::string& request_id,
                                             unsigned version, bool head_request, bool keep_alive) {
  bhttp::response<bhttp::string_body> res{static_cast<bhttp::status>(r.status), version};
  if (r.status != 204 && r.status != 304) res.set(bhttp::field::content_type, r.content_type);
  res.set("X-Request-Id", request_id);
  res.set("X-Content-Type-Options", "nosniff");
  for (auto& [name, value] : r.headers) res.set(name, value);
  res.keep_alive(keep_alive);
  if (head_request) {
    res.content_length(r.body.size());
  } else {
    res.body() = std::move(r.body);
    res.prepare_payload();
  }
  return res;
}

// A request as read, with what the session needs once it has been handed on.
struct ReadRequest {
  Request request;
  bool keep_alive_requested = false;
  Clock::time_point started;
};

// Reads the next request: waits idle for its first byte under the keep-alive timeout, then
// for the whole request under request_timeout (slow-loris defence). A request that cannot be
// read is answered here when it deserves an answer. nullopt: close the connection. Its own
// coroutine, so the parser is not kept in the frame of a response that streams for minutes.
asio::awaitable<std::optional<ReadRequest>> read_request(std::shared_ptr<Server::Impl> server,
                                                         std::shared_ptr<Connection> conn) {
  const auto& cfg = server->config;
  if (conn->buffer.size() == 0) {
    conn->idle = true;
    conn->stream.expires_after(cfg.keepalive_timeout);
    auto [ec, n] = co_await conn->stream.async_read_some(conn->buffer.prepare(1024),
                                                         asio::as_tuple(asio::use_awaitable));
    conn->idle = false;
    if (ec) co_return std::nullopt;
    conn->buffer.commit(n);
  }
  conn->stream.expires_after(cfg.request_timeout);
  const auto started = Clock::now();
  bhttp::request_parser<bhttp::string_body> parser;
  parser.header_limit(static_cast<std::uint32_t>(cfg.max_header_bytes));
  parser.body_limit(cfg.max_body_bytes);
  auto [hec, hn] = co_await bhttp::async_read_header(conn->stream, conn->buffer, parser,
                                                     asio::as_tuple(asio::use_awaitable));
  boost::system::error_code rec = hec;
  if (!rec && !parser.is_done()) {
    const auto& h = parser.get();
    auto expect = h[bhttp::field::expect];
    if (h.version() >= 11 && beast::iequals(expect, "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      auto [wec, wn] = co_await asio::async_write(conn->stream, asio::buffer(kContinue),
                                                  asio::as_tuple(asio::use_awaitable));
      rec = wec;
    }
    if (!rec) {
      auto [bec, bn] = co_await bhttp::async_read(conn->stream, conn->buffer, parser,
                                                  asio::as_tuple(asio::use_awaitable));
      rec = bec;
    }
  }
  conn->stream.expires_never();
  if (rec) {
    if (auto err = read_error_response(rec)) {
      auto rid = new_request_id();
      auto status = err->status;
      auto res = to_beast(std::move(*err), rid, 11, false, false);
      auto bytes = co_await write_message(conn, cfg.write_timeout, std::move(res));
      server->metrics.observe_request("(invalid)", status, 0);
      server->metrics.add_bytes_written(bytes);
      server->logger->info("{} - - {} {}B rid={}", conn->remote_address, status, bytes, rid);
    }
    co_return std::nullopt;
  }
  const bool keep_alive_requested = parser.get().keep_alive();
  co_return ReadRequest{to_request(parser.release(), *conn), keep_alive_requested, started};
}

// Writes a plain (non-streamed) answer. Returns whether the connection may carry another
// request.
asio::awaitable<bool> write_answer(std::shared_ptr<Server::Impl> server,
                                   std::shared_ptr<Connection> conn, Response response,
                                   RequestInfo info, bool keep_alive_requested,
                                   Clock::time_point started) {
  const bool keep_alive = keep_alive_requested && !response.close_connection &&
                          !conn->shutdown_requested && !server->stopping.load();
  const unsigned status = response.status;
  auto res = to_beast(std::move(response), info.request_id, info.version, info.method == "HEAD",
                      keep_alive);
  auto bytes = co_await write_message(conn, server->config.write_timeout, std::move(res));
  server->metrics.add_bytes_written(bytes);
  server->logger->info("{} {} {} {} {}B {:.1f}ms rid={}", conn->remote_address, info.method,
                       info.path, status, bytes,
                       std::chrono::duration<double, std::milli>(Clock::now() - started).count(),
                       info.request_id);
  co_return keep_alive&& bytes != 0;
}

}  // namespace

void end_session(Server::Impl& server, Server::Impl::Registration registration) {
  server.unregister_session(registration);
  server.open.fetch_sub(1);
  server.metrics.connection_closed();
}

asio::awaitable<void> run_session(std::shared_ptr<Server::Impl> server, ConnectionSocket socket,
                                  asio::ip::tcp::endpoint peer) {
  const auto& cfg = server->config;
  boost::system::error_code ec;
  socket.set_option(asio::ip::tcp::no_delay(true), ec);
  auto conn = std::make_shared<Connection>(std::move(socket));
  conn->remote_address = peer.address().to_string();
  conn->remote_is_loopback = peer.address().is_loopback();
  server->metrics.connection_opened();
  const std::size_t open_now = server->open.fetch_add(1) + 1;

  conn->handle = std::make_shared<SessionHandle>(conn->stream.get_executor());
  conn->handle->on_shutdown = [weak = std::weak_ptr<Connection>(conn)] {
    auto c = weak.lock();
    if (!c) return;
    c->shutdown_requested = true;
    if (c->idle) c->stream.cancel();
  };
  conn->registration = server->register_session(conn->handle);

  if (open_now > cfg.max_connections) {
    auto res = to_beast(json_error(503, "too_many_connections", "Too many open connections."),
                        new_request_id(), 11, false, false);
    co_await write_message(conn, cfg.write_timeout, std::move(res));
  } else if (co_await serve_requests(server, conn)) {
    co_return;  // the connection streams on without this coroutine (start_sse)
  }

  conn->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ec);
  conn->stream.socket().close(ec);
  end_session(*server, conn->registration);
}

asio::awaitable<bool> serve_requests(std::shared_ptr<Server::Impl> server,
                                     std::shared_ptr<Connection> conn) {
  while (!conn->shutdown_requested && !server->stopping.load()) {
    std::optional<ReadRequest> read = co_await read_request(server, conn);
    if (!read) co_return false;
    const auto started = read->started;
    const bool keep_alive_requested = read->keep_alive_requested;
    Request& req = read->request;
    RequestInfo info{req.method, req.path, req.request_id, req.version};
    Dispatched d = co_await dispatch(server, std::move(req));
    read.reset();
    const double seconds = std::chrono::duration<double>(Clock::now() - started).count();
    server->metrics.observe_request(d.route_name, d.response.status, seconds);

    if (d.response.sse) {
      start_sse(server, *conn, std::move(d.response), std::move(info), started);
      co_return true;
    }
    if (!co_await write_answer(server, conn, std::move(d.response), std::move(info),
                               keep_alive_requested, started)) {
      co_return false;
    }
  }
  co_return false;
}

}  // namespace chatstream::http
