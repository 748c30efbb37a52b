// A scripted HTTP/1.1 server for client tests: blocking, one thread per connection,
// plain TCP or TLS, on 127.0.0.1 with an ephemeral port. Also a CONNECT proxy and a
// throwaway certificate authority made with the openssl command.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace chatstream::testing {

struct RawRequest {
  std::string head;  // request line + headers
  std::string body;
  std::string header(const std::string& name) const;  // case-insensitive, "" if absent
};

// One accepted connection, as seen by a handler.
class ServerConn {
 public:
  virtual ~ServerConn() = default;
  virtual bool write(const std::string& bytes) = 0;
  // Waits until the peer closes the connection; false when `limit` passed first.
  virtual bool wait_peer_close(std::chrono::milliseconds limit) = 0;
  void close() { keep_open = false; }
  bool keep_open = true;  // false: close after the handler returns
};

using Handler = std::function<void(ServerConn&, const RawRequest&)>;

class TestServer {
 public:
  // Empty cert/key: plain TCP.
  explicit TestServer(Handler handler, std::string cert_file = {}, std::string key_file = {});
  ~TestServer();
  TestServer(const TestServer&) = delete;
  TestServer& operator=(const TestServer&) = delete;

  unsigned short port() const { return port_; }
  int connections() const { return connections_.load(); }
  std::vector<RawRequest> requests() const;
  std::string url(const std::string& path) const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
  std::atomic<int> connections_{0};
};

// HTTP CONNECT proxy that tunnels to any 127.0.0.1 port.
class TestProxy {
 public:
  TestProxy();
  ~TestProxy();
  unsigned short port() const { return port_; }
  int tunnels() const { return tunnels_.load(); }
  std::string last_authorization() const;

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
  unsigned short port_ = 0;
  std::atomic<int> tunnels_{0};
};

// A CA and server certificates in a temporary directory (removed by the destructor).
struct TestPki {
  TestPki();
  ~TestPki();
  std::string dir;
  std::string ca_file;    // trust anchor
  std::string cert_file;  // 127.0.0.1 + localhost, signed by the CA
  std::string key_file;
  std::string wrong_cert;  // signed by the CA, for "wrong.example" only
  std::string wrong_key;
  bool ok = false;
};

// Chunked-encoding helpers.
std::string chunk(const std::string& data);
inline const char* kLastChunk = "0\r\n\r\n";

}  // namespace chatstream::testing
