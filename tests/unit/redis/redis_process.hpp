// Test support: a private redis-server on a free 127.0.0.1 port, stopped by PID.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "support/process.hpp"

namespace chatstream::testing {

// A free TCP port on 127.0.0.1 right now (bound to 0 and released).
unsigned short free_port();
// True when something accepts connections on 127.0.0.1:port.
bool port_open(unsigned short port);
// Sends one inline command to 127.0.0.1:port and returns the first reply line ("" on failure).
std::string redis_inline(unsigned short port, const std::string& command);

class RedisServer {
 public:
  // `port` 0: a free one. Throws when it does not answer PING.
  explicit RedisServer(const std::filesystem::path& dir, unsigned short port = 0);
  ~RedisServer();
  unsigned short port() const { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }
  // Stops it (SIGKILL: nothing saved) and waits for the exit; start() again on the same port.
  void kill();
  void start();
  bool running() const { return process_ != nullptr; }

 private:
  std::filesystem::path dir_;
  unsigned short port_ = 0;
  std::unique_ptr<Process> process_;
};

}  // namespace chatstream::testing
