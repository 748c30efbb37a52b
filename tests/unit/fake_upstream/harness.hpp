// Test harness for fake-upstream: starts the real binary and talks to it with blocking sockets
// whose every read is bounded by poll() timeouts.
#pragma once

#include <boost/json/value.hpp>
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace fake_test {

// The fake-upstream process, started on 127.0.0.1:0 and stopped by PID in the destructor.
class FakeProcess {
 public:
  explicit FakeProcess(std::vector<std::string> extra_args = {});
  ~FakeProcess();
  FakeProcess(const FakeProcess&) = delete;
  FakeProcess& operator=(const FakeProcess&) = delete;

  unsigned short port() const { return port_; }
  const std::string& dir() const { return dir_; }
  std::string stdout_text() const;
  // Sends SIGTERM and waits (bounded); returns the exit status, or -1.
  int stop();

 private:
  int pid_ = -1;
  unsigned short port_ = 0;
  std::string dir_;
};

struct Response {
  unsigned status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked (partial if the read failed)
  std::string error;                           // empty: complete message
  bool complete() const { return error.empty(); }
};

using Headers = std::vector<std::pair<std::string, std::string>>;

// One TCP connection (keep-alive) to 127.0.0.1:port.
class Client {
 public:
  explicit Client(unsigned short port);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  Response request(const std::string& method, const std::string& target,
                   const std::string& body = {}, const Headers& headers = {});
  Response post(const std::string& target, const std::string& body, const Headers& headers = {}) {
    return request("POST", target, body, headers);
  }
  void send_raw(const std::string& bytes);
  // Reads raw bytes until `needle` has been seen `count` times, EOF/error, or the timeout.
  std::string read_until(const std::string& needle, std::size_t count,
                         std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // Reads raw bytes until EOF or an error; `error` gets its message ("" for clean EOF).
  std::string read_to_end(std::string& error,
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
  std::size_t reads() const { return reads_; }  // read_some calls that returned data
  void close();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  std::size_t reads_ = 0;
};

// A request body for a chat endpoint with one user message.
std::string chat_body(const std::string& model, bool stream, const std::string& text = "hi",
                      bool include_usage = false);

struct SseEvent {
  std::string event;
  std::string data;
};
// Test-local SSE splitter (LF line ends, as fake-upstream emits).
std::vector<SseEvent> parse_sse(const std::string& body);
std::vector<std::string> split_lines(const std::string& body);

// GET /_fake/requests as JSON (array), and the last record.
boost::json::value fake_requests(unsigned short port);
boost::json::value fake_stats(unsigned short port);
void clear_requests(unsigned short port);
// Polls /_fake/requests until the record with `path` has left in_progress (bounded).
boost::json::value wait_for_outcome(unsigned short port, std::size_t index_from_end = 0);

std::string fixtures_dir();
std::string read_file(const std::string& path);

}  // namespace fake_test
