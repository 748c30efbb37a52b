// Internal to the HTTP client (Asio/OpenSSL types): origins, connections, the pool, the
// per-request deadline guard. Included only by src/providers/http/*.cpp.
#pragma once

#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/http_client.hpp"

namespace chatstream::providers::http_detail {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Origin {
  bool tls = false;
  std::string host;  // without IPv6 brackets
  std::uint16_t port = 0;
  std::string key() const;          // "https://host:port"
  std::string authority() const;    // "host:port" (bracketed IPv6)
  std::string host_header() const;  // authority without a default port
  bool host_is_ip() const;
};

struct Target {
  Origin origin;
  std::string path;  // origin-form request target ("/v1/chat/completions?x=y")
};

// Parses an http(s) URL. On failure returns nullopt and sets `error`.
std::optional<Target> parse_url(std::string_view url, std::string& error);

struct Proxy {
  Origin origin;              // the proxy itself (plain http only)
  std::string authorization;  // "Basic ..." from user:pass in the proxy URL, or empty
};

// True when `host` matches a NO_PROXY list ("*", "example.com", ".example.com", "10.0.0.1").
bool no_proxy_matches(std::string_view host, std::string_view no_proxy);
// The proxy to use for `origin`, per config (https_proxy / http_proxy / no_proxy).
std::optional<Proxy> proxy_for(const Origin& origin, const HttpClientConfig& config);

// Request bytes (request line, headers, body). CR/LF are removed from header values.
std::string serialize_request(const HttpRequest& request, const Target& target);

class Connection {
 public:
  // The TLS stream (OpenSSL state plus two 17 KB record buffers) exists only for https
  // origins: a plain connection is a bare socket.
  Connection(const asio::any_io_executor& ex, ssl::context& ctx, Origin origin);
  tcp::socket& socket() { return tls_ ? tls_->next_layer() : socket_; }
  ssl::stream<tcp::socket>& tls_stream() { return *tls_; }
  const Origin& origin() const { return origin_; }
  bool tls() const { return origin_.tls; }
  // After the TLS handshake: reads and writes go through TLS (before it, e.g. for CONNECT,
  // they are plain).
  void set_tls_active() { tls_active_ = true; }
  bool tls_active() const { return tls_active_; }
  // Closes the TCP socket at once (no TLS close_notify); pending operations complete.
  void close() noexcept;
  // Idle check before reuse: no pending bytes and no EOF/error on the socket.
  bool looks_reusable();

  asio::awaitable<std::tuple<boost::system::error_code, std::size_t>> read_some(
      asio::mutable_buffer buf);
  asio::awaitable<boost::system::error_code> write_all(std::string_view bytes);
  // Plain TCP only: once the socket is readable, takes what is there without blocking
  // (would_block: wait again).
  std::size_t read_now(asio::mutable_buffer buf, boost::system::error_code& ec);

 private:
  tcp::socket socket_;                             // plain connections
  std::unique_ptr<ssl::stream<tcp::socket>> tls_;  // https origins only
  Origin origin_;
  bool tls_active_ = false;
};

// Deadlines of one request, enforced by a timer completion handler (no coroutine) that closes
// the connection when the current deadline passes. The request coroutine and the handler run on
// the same strand, so no locking. arm() only moves `deadline`; the timer is touched only when
// the deadline comes earlier than its expiry, and the handler re-arms lazily when it wakes
// before the (pushed back) deadline, so a read costs no timer operation. The pending handler
// keeps the guard alive (shared ownership with the request).
struct Guard : std::enable_shared_from_this<Guard> {
  explicit Guard(const asio::any_io_executor& ex) : timer(ex, Clock::time_point::max()) {}
  asio::steady_timer timer;
  Clock::time_point total_deadline = Clock::time_point::max();
  Clock::time_point deadline = Clock::time_point::max();  // of the current phase
  HttpFailure pending = HttpFailure::timeout_total;       // reported if the deadline passes
  Connection* conn = nullptr;                             // closed when a deadline passes
  tcp::resolver* resolver = nullptr;                      // cancelled when a deadline passes
  bool done = false;                                      // the request has finished
  bool waiting = false;                                   // a timer handler is pending
  bool fired = false;                                     // a deadline passed
  bool cancelled = false;                                 // our caller cancelled
  HttpFailure fired_as = HttpFailure::none;

  // Starts a phase with its own timeout (bounded by the total deadline).
  void arm(HttpFailure phase, std::chrono::milliseconds timeout);
  // The request is over: no deadline fires any more; the pending handler releases the guard.
  void finish() noexcept;
  void close_connection() noexcept {
    if (conn != nullptr) conn->close();
    if (resolver != nullptr) resolver->cancel();
  }

 private:
  void wait();
  void on_timer(const boost::system::error_code& ec);
};

struct IdleConnection {
  std::unique_ptr<Connection> conn;
  Clock::time_point since;
};

}  // namespace chatstream::providers::http_detail

namespace chatstream::providers {

struct HttpClient::Impl {
  Impl(HttpClientConfig cfg, std::shared_ptr<spdlog::logger> log);

  HttpClientConfig config;
  std::shared_ptr<spdlog::logger> logger;
  boost::asio::ssl::context tls_context{boost::asio::ssl::context::tls_client};

  std::atomic<std::uint64_t> connections_opened{0};
  std::atomic<std::uint64_t> tls_handshakes{0};
  std::atomic<std::uint64_t> reused{0};
  std::atomic<std::uint64_t> stale_replaced{0};
  std::atomic<std::uint64_t> name_lookups{0};

  // Pool: idle connections per origin key (+ proxy). Never locked across co_await.
  std::unique_ptr<http_detail::Connection> checkout(const std::string& key);
  void checkin(const std::string& key, std::unique_ptr<http_detail::Connection> conn);
  void clear();

  // The parsed target of `url` and the proxy for it (from `config`): parsed once per URL, as
  // a provider sends every request to the same few URLs. Null (and `error`) when unusable.
  std::optional<http_detail::Target> target(const std::string& url, std::string& error,
                                            std::optional<http_detail::Proxy>& proxy);

 private:
  struct Resolved {
    http_detail::Target target;
    std::optional<http_detail::Proxy> proxy;
  };
  static constexpr std::size_t kMaxTargets = 64;  // then the cache starts over

  std::mutex mutex_;
  std::map<std::string, std::vector<http_detail::IdleConnection>> idle_;
  std::map<std::string, Resolved, std::less<>> targets_;
};

}  // namespace chatstream::providers

namespace chatstream::providers::http_detail {

struct ConnectResult {
  std::unique_ptr<Connection> conn;
  HttpFailure failure = HttpFailure::none;
  std::string detail;
};

// Resolves, connects (through the proxy when given), and runs the TLS handshake with SNI
// and host-name verification. Timeouts and cancellation come from `guard`.
asio::awaitable<ConnectResult> open_connection(HttpClient::Impl* impl, Origin origin,
                                               std::optional<Proxy> proxy, Guard* guard);

struct ExchangeResult {
  HttpFailure failure = HttpFailure::none;
  std::string detail;
  bool head_received = false;
  bool complete = false;
  bool stopped = false;
  bool keep_alive = false;
  std::size_t bytes_received = 0;
  bool write_failed = false;
};

// Writes the request and streams the response through the handlers. `wire` (the request bytes)
// is released once a response head came (there is no resend after it).
// The outcome goes to `*result` (not into the frame of the awaiting coroutine).
asio::awaitable<void> exchange(Connection* conn, Guard* guard, const HttpClientConfig* config,
                               std::string* wire, HttpClient::HeadHandler* on_head,
                               HttpClient::BodyHandler* on_body, ExchangeResult* result);

}  // namespace chatstream::providers::http_detail
