// The SSE response writer: a state machine on the connection's executor, driven by callbacks
// (new data from the source, the client's socket becoming readable, one timer, write
// completions). An idle stream costs this object, one pending readiness wait on the socket and
// one pending timer wait; no coroutine frame. Everything pending goes out in one write
// (coalescing), chunk framing included, from one contiguous buffer.
#include <spdlog/spdlog.h>
#include <boost/asio/bind_allocator.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>

#include <sys/socket.h>

#include <array>
#include <atomic>
#include <cerrno>

#include "http/connection.hpp"
#include "http/metrics.hpp"
#include "http/sse_framing.hpp"
#include "http/sse_head.hpp"
#include "util/deadline.hpp"
#include "util/exact_allocator.hpp"
#include "util/serial.hpp"

namespace chatstream::http {
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

using Timer = asio::basic_waitable_timer<Clock, asio::wait_traits<Clock>, ConnectionExecutor>;

// A send or receive that never blocks (MSG_DONTWAIT), whatever the socket's mode: switching
// the socket itself to non-blocking for Asio's synchronous write_some/read_some is one more
// system call per stream. Returns the bytes moved; would_block when there is no room / data.
// errno after a failed send/recv: would_block when there was no room / no data.
boost::system::error_code last_socket_error() {
  return errno == EAGAIN || errno == EWOULDBLOCK
             ? boost::system::error_code(asio::error::would_block)
             : boost::system::error_code(errno, asio::error::get_system_category());
}

std::size_t send_now(int fd, const char* data, std::size_t size, boost::system::error_code& ec) {
  for (;;) {
    const ssize_t n = ::send(fd, data, size, MSG_DONTWAIT | MSG_NOSIGNAL);
    if (n >= 0) {
      ec = {};
      return static_cast<std::size_t>(n);
    }
    if (errno == EINTR) continue;
    ec = last_socket_error();
    return 0;
  }
}

std::size_t receive_now(int fd, char* data, std::size_t size, boost::system::error_code& ec) {
  for (;;) {
    const ssize_t n = ::recv(fd, data, size, MSG_DONTWAIT);
    if (n > 0) {
      ec = {};
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      ec = asio::error::eof;
      return 0;
    }
    if (errno == EINTR) continue;
    ec = last_socket_error();
    return 0;
  }
}

class SseStream : public std::enable_shared_from_this<SseStream> {
 public:
  SseStream(std::shared_ptr<Server::Impl> server, Connection& conn, Response& response,
            RequestInfo request, Clock::time_point started)
      : server_(std::move(server)),
        socket_(conn.stream.release_socket()),
        timer_(socket_.get_executor()),
        source_(std::move(response.sse)),
        handle_(conn.handle),
        registration_(conn.registration),
        remote_address_(std::move(conn.remote_address)),
        info_(std::move(request)),
        started_(started),
        status_(response.status),
        chunked_(info_.version >= 11),
        shutdown_(conn.shutdown_requested) {}

  void start(const Response& response) {
    server_->metrics.sse_opened();
    out_ = sse_response_head(response.status, info_.version, info_.request_id, response.headers,
                             chunked_);
    handle_->on_shutdown = [weak = weak_from_this()] {
      if (auto s = weak.lock()) s->on_shutdown();
    };
    source_->set_waker([weak = weak_from_this(), inline_ok = source_->wakes_inline()] {
      auto s = weak.lock();
      if (!s || s->pending_.exchange(true, std::memory_order_acq_rel)) return;
      // On the connection's executor first: only then may running_ and waking_ be touched.
      if (inline_ok && util::running_in_this_thread(s->socket_.get_executor()) && s->running_) {
        s->waking_ = true;  // finish() must not release the source from inside its call
        s->on_wake();
        s->waking_ = false;
        return;
      }
      asio::post(s->socket_.get_executor(), [s] { s->on_wake(); });
    });
    watch_client();
    next_heartbeat_ = util::coalesced_deadline(Clock::now(), server_->config.sse_heartbeat);
    arm(next_heartbeat_);
    running_ = true;
    step();  // the head, with whatever the source already has
  }

 private:
  void on_wake() {
    if (!writing_) step();  // otherwise the write's completion pulls
  }

  void on_shutdown() {
    shutdown_ = true;
    if (!writing_) step();
  }

  // Pulls everything pending and writes it (with the head on the first call).
  void step(bool heartbeat = false) {
    if (finished_ || writing_) return;
    pending_.store(false, std::memory_order_release);
    SseFrame frame(out_, chunked_);
    bool more = source_->pull(out_);
    if (more && shutdown_) {
      source_->append_shutdown(out_, server_->config.sse_retry_hint);
      more = false;
    }
    if (more && heartbeat && frame.empty()) out_.append(": hb\n\n");
    const std::size_t from = frame.close(!more);
    ending_ = !more;
    if (from == out_.size()) {
      out_.clear();
      if (ending_) finish();
      return;
    }
    write(from);
  }

  // Writes out_[from, end): at once when the socket takes it (a client that keeps up), else
  // the rest in an asynchronous write under the write deadline.
  void write(std::size_t from) {
    boost::system::error_code ec;
    std::size_t n = send_now(socket_.native_handle(), out_.data() + from, out_.size() - from, ec);
    if (ec == asio::error::would_block) {
      ec = {};
      n = 0;
    }
    if (ec) return finish();
    bytes_ += n;
    if (from + n == out_.size()) return written();
    writing_ = true;
    write_deadline_ = util::coalesced_deadline(Clock::now(), server_->config.write_timeout);
    arm(write_deadline_);
    asio::async_write(socket_, asio::buffer(out_.data() + from + n, out_.size() - from - n),
                      [self = shared_from_this()](boost::system::error_code wec, std::size_t wn) {
                        self->on_written(wec, wn);
                      });
  }

  void on_written(boost::system::error_code ec, std::size_t n) {
    writing_ = false;
    bytes_ += n;
    if (ec || finished_) return finish();
    written();
    if (!finished_) step();  // what arrived meanwhile (or a shutdown, or the client's EOF)
  }

  void written() {
    if (out_.capacity() > kKeptCapacity) {
      std::string().swap(out_);  // a large burst: do not keep its buffer for the stream
    } else {
      out_.clear();
    }
    if (ending_ || closed_) return finish();
    next_heartbeat_ = util::coalesced_deadline(Clock::now(), server_->config.sse_heartbeat);
  }

  // One timer, re-armed lazily: it is moved earlier only when a deadline comes before its
  // expiry; otherwise it fires, finds the deadline moved on and waits again.
  void arm(Clock::time_point at) {
    if (timer_waiting_ && timer_at_ <= at) return;
    timer_at_ = at;
    timer_waiting_ = true;
    timer_.expires_at(at);
    timer_.async_wait(asio::bind_allocator(
        util::ExactAllocator<void>(),
        [self = shared_from_this(), at](boost::system::error_code ec) { self->on_timer(ec, at); }));
  }

  void on_timer(boost::system::error_code ec, Clock::time_point at) {
    if (finished_ || ec || at != timer_at_) return;  // cancelled, or replaced by an earlier one
    timer_waiting_ = false;
    const auto now = Clock::now();
    if (writing_) {
      if (now >= write_deadline_) return finish();  // a slow client: dropped, others unaffected
      return arm(write_deadline_);
    }
    if (now >= next_heartbeat_) {
      step(true);
      if (finished_) return;
      if (!writing_) next_heartbeat_ = util::coalesced_deadline(now, server_->config.sse_heartbeat);
    }
    arm(writing_ ? write_deadline_ : next_heartbeat_);
  }

  // Watches the client side: EOF or an error means the client is gone. Bytes a client sends
  // during a stream are read and ignored.
  void watch_client() {
    socket_.async_wait(
        asio::socket_base::wait_read,
        asio::bind_allocator(
            util::ExactAllocator<void>(),
            [self = shared_from_this()](boost::system::error_code ec) { self->on_readable(ec); }));
  }

  void on_readable(boost::system::error_code ec) {
    if (finished_) return;
    std::array<char, 256> sink;
    for (int i = 0; !ec && i < 16; ++i) {
      receive_now(socket_.native_handle(), sink.data(), sink.size(), ec);
      if (ec == asio::error::would_block) return watch_client();
    }
    if (!ec) return watch_client();
    closed_ = true;
    if (!writing_) finish();  // else the write fails or completes, then finishes
  }

  void finish() {
    if (finished_) return;
    finished_ = true;
    source_->on_close();
    // Released here, on the executor, as when the stream's coroutine ended: a waker that still
    // holds this object must not be the one to destroy the source it is called from (a wake
    // handled inline hands the source to a later handler).
    if (waking_) {
      asio::post(socket_.get_executor(), [source = std::move(source_)] {});
    } else {
      source_.reset();
    }
    boost::system::error_code ignored;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
    handle_->on_shutdown = nullptr;
    auto& server = *server_;
    server.metrics.sse_closed();
    server.metrics.add_bytes_written(bytes_);
    server.logger->info("{} {} {} {} {}B {:.1f}ms sse rid={}", remote_address_, info_.method,
                        info_.path, status_, bytes_,
                        std::chrono::duration<double, std::milli>(Clock::now() - started_).count(),
                        info_.request_id);
    end_session(server, registration_);
  }

  static constexpr std::size_t kKeptCapacity = 4096;

  std::shared_ptr<Server::Impl> server_;
  ConnectionSocket socket_;
  Timer timer_;
  std::shared_ptr<SseSource> source_;
  std::shared_ptr<SessionHandle> handle_;
  Server::Impl::Registration registration_;
  std::string remote_address_;
  RequestInfo info_;
  std::string out_;  // what is being written (the head, then frames)
  Clock::time_point started_;
  Clock::time_point next_heartbeat_{};
  Clock::time_point write_deadline_{};
  Clock::time_point timer_at_{};
  std::uint64_t bytes_ = 0;
  unsigned status_;
  std::atomic<bool> pending_{false};  // a wake-up is queued and not yet consumed (any thread)
  bool chunked_;                      // HTTP/1.1: chunked; HTTP/1.0: close-delimited
  bool running_ = false;              // start() is done: a wake may be handled inline
  bool waking_ = false;               // inside an inline wake
  bool shutdown_;
  bool writing_ = false;  // an asynchronous write is in flight (out_ must stay)
  bool ending_ = false;   // the source is done: finish once out_ is written
  bool closed_ = false;   // the client went away
  bool finished_ = false;
  bool timer_waiting_ = false;
};

}  // namespace

void start_sse(std::shared_ptr<Server::Impl> server, Connection& conn, Response response,
               RequestInfo request, Clock::time_point started) {
  conn.buffer = {};  // the request is read: hold no read buffer while streaming
  auto stream =
      std::make_shared<SseStream>(std::move(server), conn, response, std::move(request), started);
  stream->start(response);
}

}  // namespace chatstream::http
