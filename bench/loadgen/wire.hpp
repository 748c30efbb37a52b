// Pure, incremental parsing of what a streamed answer looks like on the wire: an HTTP/1.1
// response head, its body framing (chunked, content-length or close-delimited), and the
// text/event-stream events inside. No I/O; fed arbitrary byte slices. After warm-up nothing
// here allocates per token (buffers keep their capacity between events and streams).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chatstream::loadgen {

// FNV-1a 64, fed incrementally, so the hash of a text does not depend on how it was split.
struct TextHash {
  std::uint64_t value = 14695981039346656037ull;
  void add(char c) {
    value ^= static_cast<unsigned char>(c);
    value *= 1099511628211ull;
  }
};

// Decodes the JSON string starting right after its opening quote in `s` into `hash`.
// Returns the number of decoded bytes (0 for an empty string).
std::size_t hash_json_string(std::string_view s, TextHash& hash);

// Where the token text sits in an event's JSON data.
enum class TokenKey { content, text };

struct SseCounters {
  std::uint64_t tokens = 0;
  std::uint64_t events = 0;
  std::uint64_t gaps = 0;  // an `id:` that skipped numbers
  std::uint64_t dups = 0;  // an `id:` not above the previous one
  std::uint64_t last_id = 0;
  bool done = false;   // `event: done` or `data: [DONE]`
  bool error = false;  // `event: error`
  TextHash hash;
};

// text/event-stream scanner (LF or CRLF line ends). An event counts as a token when its data
// holds a non-empty string under the token key and its event name is empty, `delta` or
// `message`.
class SseScanner {
 public:
  explicit SseScanner(TokenKey key = TokenKey::content);
  // Clears per-stream state; `last_id` is where ids continue from (Last-Event-ID).
  void reset(std::uint64_t last_id = 0);
  // After a reconnect: drops a partial line or event, keeps the counters.
  void resume();
  // Returns the number of tokens completed in this slice.
  std::size_t feed(const char* data, std::size_t size);
  SseCounters& counters() { return c_; }
  const SseCounters& counters() const { return c_; }

 private:
  void line(std::string_view l);
  void dispatch();

  std::string_view key_;
  std::string line_;  // a partial line carried to the next slice
  std::string data_;
  char event_[16] = {};
  std::size_t event_len_ = 0;
  bool has_id_ = false;
  std::uint64_t id_ = 0;
  std::size_t new_tokens_ = 0;
  SseCounters c_;
};

// HTTP/1.x response reader: head, then body bytes (de-chunked) handed to a sink.
class ResponseReader {
 public:
  enum class State { head, body, complete, failed };
  void reset();
  // Consumes `size` bytes; body bytes go to `sink(const char*, std::size_t)`.
  template <class Sink>
  State feed(const char* data, std::size_t size, Sink&& sink);
  unsigned status() const { return status_; }
  State state() const { return state_; }
  bool close_delimited() const { return !chunked_ && !has_length_; }
  // For non-streamed responses: the whole body is kept here when keep_body is set.
  bool keep_body = false;
  std::string body;

 private:
  bool parse_head();
  // Returns how many bytes of data were consumed; body bytes in [*out, *out + *out_n).
  std::size_t step(const char* data, std::size_t size, const char** out, std::size_t* out_n);

  State state_ = State::head;
  std::string head_;
  unsigned status_ = 0;
  bool chunked_ = false;
  bool has_length_ = false;
  std::uint64_t remaining_ = 0;  // of content-length or of the current chunk
  enum class Chunk { size, data, data_crlf, trailer } chunk_ = Chunk::size;
  std::string chunk_line_;
};

template <class Sink>
ResponseReader::State ResponseReader::feed(const char* data, std::size_t size, Sink&& sink) {
  while (size > 0 && state_ != State::complete && state_ != State::failed) {
    const char* out = nullptr;
    std::size_t out_n = 0;
    std::size_t used = step(data, size, &out, &out_n);
    if (out_n > 0) {
      if (keep_body) body.append(out, out_n);
      sink(out, out_n);
    }
    data += used;
    size -= used;
  }
  return state_;
}

}  // namespace chatstream::loadgen
