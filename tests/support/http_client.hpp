// Test support: a deliberately low-level blocking HTTP/1.x client over a real socket, so tests
// control every byte (slow clients, non-reading clients, pipelining, HTTP/1.0).
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace chatstream::testing {

struct HttpResponse {
  int status = 0;
  std::string reason;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;                            // de-chunked
  std::string header(const std::string& name) const;
};

class RawConnection {
 public:
  explicit RawConnection(unsigned short port, int receive_buffer = 0);
  ~RawConnection();
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  void send(std::string_view bytes);
  // Returns false when the peer closed or reset the connection.
  bool send_nothrow(std::string_view bytes);
  // Reads whatever arrives within `timeout` (empty on timeout); nullopt when the peer closed.
  std::optional<std::string> read_some(std::chrono::milliseconds timeout);
  // Reads until `needle` appears in the accumulated data (or timeout/close). Returns all of it.
  std::string read_until(std::string_view needle, std::chrono::milliseconds timeout);
  // Reads one complete response (Content-Length, chunked, or until close).
  std::optional<HttpResponse> read_response(std::chrono::milliseconds timeout,
                                            bool head_request = false);
  // True when the peer closes the connection within `timeout` (reading and discarding).
  bool wait_closed(std::chrono::milliseconds timeout);
  int fd() const { return fd_; }

 private:
  bool fill(std::chrono::milliseconds timeout);
  int fd_ = -1;
  std::string buffer_;
  bool eof_ = false;
};

// One request on a fresh connection. `headers` are sent as given (include Content-Type).
HttpResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                          const std::string& body = {},
                          const std::vector<std::string>& headers = {});

// Parses "event:/id:/data:" blocks of a de-chunked SSE body (test helper; simple splitter).
struct SseFrame {
  std::string event, id, data;
};
std::vector<SseFrame> parse_sse_frames(const std::string& body);

}  // namespace chatstream::testing
