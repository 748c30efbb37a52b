// Streaming HTTP/1.1 client for upstream providers: TLS 1.2+ with certificate and host
// name verification, SNI, HTTP CONNECT proxies, a keep-alive pool per origin, one timeout
// per phase, and cancellation that closes the socket at once. Beast-free header.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "providers/config.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::providers {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpRequest {
  std::string method = "POST";
  std::string url;                  // http://host[:port]/path or https://...
  std::vector<HttpHeader> headers;  // values are never logged
  std::string body;
  std::string request_id;  // for log lines only
};

struct HttpResponseHead {
  int status = 0;
  std::vector<HttpHeader> headers;
  // Value of the first header named `name` (case-insensitive), empty when absent.
  std::string_view header(std::string_view name) const;
};

enum class HttpFailure {
  none,
  connect,  // DNS, TCP, proxy or TLS failure (nothing was sent)
  timeout_connect,
  timeout_first_byte,  // request sent, no response head in time
  timeout_idle,        // gap between body bytes too long
  timeout_total,
  cancelled,  // our caller cancelled
  protocol,   // malformed HTTP
  closed,     // connection ended before the response was complete
};

const char* to_string(HttpFailure failure) noexcept;

struct HttpOutcome {
  HttpFailure failure = HttpFailure::none;
  std::string detail;          // human-readable, key-free
  bool head_received = false;  // on_head was called
  bool complete = false;       // the whole body was received
  bool stopped = false;        // on_body returned false
};

struct HttpClientStats {
  std::uint64_t connections_opened = 0;
  std::uint64_t tls_handshakes = 0;
  std::uint64_t reused = 0;          // requests served by a pooled connection
  std::uint64_t stale_replaced = 0;  // pooled connections found closed and replaced
  std::uint64_t name_lookups = 0;    // host names resolved (an IP address is dialled directly)
};

// Thread-safe: one client (and pool) is shared by all io threads. A request runs on the
// executor of the coroutine that awaits stream(). Pooled sockets belong to the io_context
// that opened them: destroy the client before its io_context(s).
class HttpClient {
 public:
  // Throws std::runtime_error (key-free) when the CA file cannot be loaded.
  HttpClient(HttpClientConfig config, std::shared_ptr<spdlog::logger> logger);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  using HeadHandler = std::function<void(const HttpResponseHead&)>;
  // Called for each piece of the (de-chunked) body; return false to stop reading (the
  // connection is then closed, not pooled).
  using BodyHandler = std::function<bool(std::string_view)>;

  // Sends `request` and streams the response. on_head is called once, before any body.
  // Supports per-operation cancellation (terminal/partial): the socket is closed at once
  // and the outcome is `cancelled`. A pooled connection the server had closed is replaced
  // transparently (once, and only while nothing was received). Never throws for I/O.
  boost::asio::awaitable<HttpOutcome> stream(HttpRequest request, HeadHandler on_head,
                                             BodyHandler on_body);

  HttpClientStats stats() const;
  const HttpClientConfig& config() const;
  std::shared_ptr<spdlog::logger> logger() const;
  // Drops all idle pooled connections.
  void clear_pool();

  struct Impl;

 private:
  std::shared_ptr<Impl> impl_;
};

}  // namespace chatstream::providers
