// The SSE response writer: one timer per stream serves as wake-up signal (new data, client
// gone, shutdown) and heartbeat deadline, so an idle stream costs one parked coroutine, one
// timer and a 64-byte read buffer. Everything pending goes out in one write (coalescing).
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_suffix.hpp>
#include <boost/beast/http/chunk_encode.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>
#include <boost/beast/http/write.hpp>

#include <array>
#include <atomic>
#include <optional>

#include "http/connection.hpp"
#include "http/metrics.hpp"
#include "sse/encoder.hpp"

namespace chatstream::http {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;

struct SseWait {
  explicit SseWait(asio::any_io_executor ex) : timer(std::move(ex)) {}
  asio::steady_timer timer;
  std::atomic<bool> pending{false};  // a wake-up is queued or not yet consumed (any thread)
  bool woken = false;                // strand only
  bool closed = false;               // strand only: client went away
  bool shutdown = false;             // strand only
  std::array<char, 64> read_buffer{};
};

void notify_sse_shutdown(Connection& conn) {
  if (!conn.sse) return;
  conn.sse->shutdown = true;
  conn.sse->timer.cancel();
}

namespace {

// Watches the client side: EOF or an error means the client is gone. Bytes a client sends
// during a stream are ignored.
void watch_client(std::shared_ptr<Connection> conn, std::shared_ptr<SseWait> wait) {
  auto& socket = conn->stream.socket();
  socket.async_read_some(asio::buffer(wait->read_buffer),
                         [conn, wait](boost::system::error_code ec, std::size_t) mutable {
                           if (ec) {
                             wait->closed = true;
                             wait->timer.cancel();
                             return;
                           }
                           if (!wait->closed) watch_client(std::move(conn), std::move(wait));
                         });
}

// Writes with a deadline that only this write's progress must meet. Returns bytes written,
// or nullopt on failure (the client is dropped; other streams are unaffected). A client that
// keeps up has room in its socket buffer: the bytes then go out at once, without an
// asynchronous operation or a timer; only what does not fit waits, under the deadline.
template <class Buffers>
asio::awaitable<std::optional<std::size_t>> timed_write(std::shared_ptr<Connection> conn,
                                                        std::chrono::milliseconds timeout,
                                                        Buffers buffers) {
  auto& socket = conn->stream.socket();
  boost::system::error_code ec;
  if (!socket.non_blocking()) socket.non_blocking(true, ec);
  const std::size_t total = asio::buffer_size(buffers);
  std::size_t now = ec ? 0 : socket.write_some(buffers, ec);
  if (now == total) co_return now;
  if (ec && ec != asio::error::would_block && ec != asio::error::try_again) co_return std::nullopt;
  beast::buffers_suffix<Buffers> rest(buffers);
  rest.consume(now);
  conn->stream.expires_after(timeout);
  auto [wec, n] =
      co_await asio::async_write(conn->stream, rest, asio::as_tuple(asio::use_awaitable));
  conn->stream.expires_never();
  if (wec) co_return std::nullopt;
  co_return now + n;
}

}  // namespace

asio::awaitable<std::uint64_t> write_sse(std::shared_ptr<Server::Impl> server,
                                         std::shared_ptr<Connection> conn, Response response,
                                         RequestInfo request) {
  const bool chunked = request.version >= 11;
  auto source = std::move(response.sse);
  auto wait = std::make_shared<SseWait>(conn->stream.get_executor());
  conn->sse = wait;
  conn->buffer.shrink_to_fit();  // the request is read: hold no read buffer while streaming
  server->metrics.sse_opened();

  std::uint64_t bytes = 0;
  bool ok = true;
  const auto write_timeout = server->config.write_timeout;
  // Sends `out` as one chunk (HTTP/1.1) or raw (HTTP/1.0, close-delimited).
  auto send = [&](const std::string& data) {
    return chunked ? timed_write(conn, write_timeout, bhttp::make_chunk(asio::buffer(data)))
                   : timed_write(conn, write_timeout, asio::const_buffer(asio::buffer(data)));
  };

  {
    // The head and what it was made of live only until it is written.
    bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(response.status),
                                            request.version};
    head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
    head.set(bhttp::field::cache_control, "no-cache, no-transform");
    head.set("X-Accel-Buffering", "no");
    head.set("X-Request-Id", request.request_id);
    head.set("X-Content-Type-Options", "nosniff");
    for (const auto& [name, value] : response.headers) head.set(name, value);
    head.keep_alive(false);
    if (chunked) head.chunked(true);
    bhttp::response_serializer<bhttp::empty_body> sr(head);
    conn->stream.expires_after(server->config.write_timeout);
    auto [ec, n] =
        co_await bhttp::async_write_header(conn->stream, sr, asio::as_tuple(asio::use_awaitable));
    conn->stream.expires_never();
    bytes += n;
    ok = !ec;
  }
  response = Response{};
  request = RequestInfo{};

  if (ok) {
    source->set_waker([weak = std::weak_ptr<SseWait>(wait)] {
      auto w = weak.lock();
      if (!w || w->pending.exchange(true, std::memory_order_acq_rel)) return;
      asio::post(w->timer.get_executor(), [w] {
        w->woken = true;
        w->timer.cancel();
      });
    });
    watch_client(conn, wait);
  }

  const auto heartbeat = server->config.sse_heartbeat;
  auto next_heartbeat = std::chrono::steady_clock::now() + heartbeat;
  std::string out;
  while (ok && !wait->closed) {
    wait->woken = false;
    wait->pending.store(false, std::memory_order_release);
    out.clear();
    bool more = source->pull(out);
    if (more && (wait->shutdown || conn->shutdown_requested)) {
      source->append_shutdown(out, server->config.sse_retry_hint);
      more = false;
    }
    if (!out.empty()) {
      auto n = co_await send(out);
      ok = n.has_value();
      bytes += n.value_or(0);
      next_heartbeat = std::chrono::steady_clock::now() + heartbeat;
      if (!ok) break;
    }
    if (!more) {
      if (chunked) {
        auto n = co_await timed_write(conn, write_timeout, bhttp::make_chunk_last());
        bytes += n.value_or(0);
      }
      break;
    }
    if (wait->woken || wait->closed || wait->shutdown) continue;
    wait->timer.expires_at(next_heartbeat);
    auto [ec] = co_await wait->timer.async_wait(asio::as_tuple(asio::use_awaitable));
    if (!ec && std::chrono::steady_clock::now() >= next_heartbeat) {
      out.assign(": hb\n\n");
      auto n = co_await send(out);
      ok = n.has_value();
      bytes += n.value_or(0);
      next_heartbeat = std::chrono::steady_clock::now() + heartbeat;
    }
  }

  source->on_close();
  conn->sse.reset();
  boost::system::error_code ignored;
  conn->stream.socket().shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
  conn->stream.socket().close(ignored);
  server->metrics.sse_closed();
  server->metrics.add_bytes_written(bytes);
  co_return bytes;
}

}  // namespace chatstream::http
