// HTTP/1.1 on top of a Transport: read one request (Beast's parser, fed by hand so the Transport
// needs no stream concept), and write a response head and a body in pieces (chunked framing,
// optional one-byte-at-a-time trickle).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "request.hpp"
#include "transport.hpp"

namespace chatstream::fake_upstream {

struct ReadOutcome {
  enum class Kind { request, closed, bad_request } kind = Kind::closed;
  Request request;
  std::string error;
};

// `inbuf` keeps bytes received after the request (pipelining) for the next call.
asio::awaitable<ReadOutcome> read_request(Transport& t, std::string& inbuf);

// Status line and headers. With `content_length` unset and `chunked` false, the body is
// delimited by closing the connection (HTTP/1.0 peers).
std::string response_head(unsigned status, std::string_view content_type, const HeaderList& extra,
                          std::optional<std::size_t> content_length, bool chunked, bool keep_alive);

// Waits on `timer`; returns false if the wait was cancelled.
asio::awaitable<bool> sleep_for(asio::steady_timer& timer, std::chrono::microseconds d);

class BodyWriter {
 public:
  BodyWriter(Transport& t, asio::steady_timer& timer) : t_(t), timer_(timer) {}

  void set_chunked(bool chunked) { chunked_ = chunked; }
  void set_trickle(bool on, std::chrono::microseconds pause) {
    trickle_ = on;
    pause_ = pause;
  }

  // Writes bytes as they are (the head, or a close-delimited body).
  asio::awaitable<bool> raw(std::string_view bytes);
  // Writes one body piece (as one chunk when chunked).
  asio::awaitable<bool> piece(std::string_view bytes);
  // Ends a chunked body (`0\r\n\r\n`); nothing when not chunked.
  asio::awaitable<bool> end();

  std::size_t bytes_written() const { return bytes_; }
  bool chunked() const { return chunked_; }

 private:
  asio::awaitable<bool> write_buffers(std::span<const asio::const_buffer> buffers);

  Transport& t_;
  asio::steady_timer& timer_;
  bool chunked_ = false;
  bool trickle_ = false;
  std::chrono::microseconds pause_{100};
  std::size_t bytes_ = 0;
};

}  // namespace chatstream::fake_upstream
