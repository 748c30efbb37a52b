// A connected byte stream, plain TCP or TLS, behind one small interface so the HTTP session is
// compiled once. Not thread-safe: use from the connection's strand only. One read and one write
// may be outstanding at the same time (the session watches for EOF while it streams).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <span>
#include <string>

namespace chatstream::fake_upstream {

namespace asio = boost::asio;

struct IoResult {
  boost::system::error_code ec;
  std::size_t n = 0;
};

class Transport {
 public:
  virtual ~Transport() = default;
  virtual asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) = 0;
  // Writes all of `buffers` (the caller keeps them alive until the write completes).
  virtual asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) = 0;
  // Send FIN after the last byte and close (TLS: no close_notify, like a crashed upstream).
  virtual void close() = 0;
  // Abortive close: SO_LINGER {on, 0} then close, so the peer sees a TCP RST.
  virtual void reset() = 0;
  virtual bool is_tls() const = 0;
  // Completes when the peer has closed or reset the connection (returns that error), or with
  // operation_aborted when cancelled. Bytes the peer sends meanwhile are appended to `inbuf`
  // (TCP) or left in the socket (TLS, see transport_tls.cpp).
  virtual asio::awaitable<boost::system::error_code> watch_peer(std::string& inbuf) = 0;
};

std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket socket);

// PEM text of a freshly generated self-signed certificate and its private key.
struct TlsMaterial {
  std::string cert_pem;
  std::string key_pem;
};

// EC P-256 key, CN=localhost, subjectAltName IP:127.0.0.1 and DNS:localhost, valid 30 days.
// Throws std::runtime_error if OpenSSL fails (unexpected).
TlsMaterial generate_self_signed();

// Server-side TLS configuration (an ssl::context), opaque to keep OpenSSL out of this header.
class TlsServer {
 public:
  virtual ~TlsServer() = default;
  // Performs the server handshake; returns nullptr if it fails.
  virtual asio::awaitable<std::unique_ptr<Transport>> accept(asio::ip::tcp::socket socket) = 0;
};

std::unique_ptr<TlsServer> make_tls_server(const TlsMaterial& material);

}  // namespace chatstream::fake_upstream
