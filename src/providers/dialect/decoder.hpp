// Pure decoders from provider wire formats to typed provider events (providers/events.hpp).
// No I/O: the HTTP client feeds the response body as it arrives and forwards the events.
//
// Typical use inside a streaming client:
//
//   auto decoder = dialect::make_decoder(dialect::Dialect::openai_chat);
//   std::vector<providers::Event> events;
//   while (!decoder->done()) {
//     std::string_view bytes = ...read from the socket...;   // any slicing
//     if (end_of_body) { decoder->finish(events); }          // EOF: truncated if no marker
//     else { decoder->feed(bytes, events); }
//     for (auto& e : events) forward(std::move(e));
//     events.clear();
//   }
//
// For a non-2xx answer do not use a Decoder; read the whole body and call
// decode_http_error(dialect, status, body).
//
// Guarantees:
// - The events depend only on the bytes, never on how they were sliced.
// - A StreamError is always the last event. After it, or after the normal terminal marker,
//   done() is true and further bytes are ignored.
// - finish() without a terminal marker yields StreamError{kind=truncated}.
// - Malformed JSON or an oversized event yields StreamError{kind=protocol}.
// - Empty text fragments are not emitted. Finish and Usage come as the provider sends them
//   (Usage may repeat: the latest value wins).
//
// Not thread-safe: one decoder per stream.
#pragma once

#include <cstddef>
#include <memory>
#include <string_view>
#include <vector>

#include "providers/events.hpp"
#include "sse/ndjson.hpp"
#include "sse/parser.hpp"

namespace chatstream::providers::dialect {

enum class Dialect {
  openai_chat,       // POST /v1/chat/completions, stream=true (and compatible servers)
  openai_responses,  // POST /v1/responses, stream=true
  anthropic,         // POST /v1/messages, stream=true
  ollama,            // POST /api/chat (NDJSON)
};

const char* to_string(Dialect dialect) noexcept;

class Decoder {
 public:
  virtual ~Decoder() = default;
  Decoder(const Decoder&) = delete;
  Decoder& operator=(const Decoder&) = delete;

  // Feeds response body bytes (any slicing); appends the events they complete to `out`.
  void feed(std::string_view bytes, std::vector<Event>& out);
  // End of the body. Appends StreamError{truncated} unless a terminal marker was seen.
  void finish(std::vector<Event>& out);

  // A terminal marker (normal or error) was seen, or an error was emitted.
  bool done() const noexcept { return done_; }
  // A StreamError was emitted.
  bool failed() const noexcept { return failed_; }

  // Lower-level entry points for callers that run the framing themselves (tests, fuzzers).
  // SSE dialects take parsed events; Ollama takes NDJSON lines.
  virtual void on_event(const sse::Event& event, std::vector<Event>& out);
  virtual void on_line(std::string_view line, std::vector<Event>& out);

 protected:
  enum class Framing { sse, ndjson };
  Decoder(Framing framing, std::size_t max_event_bytes);

  // Marks the stream as finished normally.
  void set_done() noexcept { done_ = true; }
  // Emits `error` as the final event.
  void fail(StreamError error, std::vector<Event>& out);
  void fail_protocol(std::string message, std::vector<Event>& out);

 private:
  Framing framing_;
  bool done_ = false;
  bool failed_ = false;
  bool finishing_ = false;  // inside finish(): handling an unterminated last line
  sse::EventStreamParser sse_;
  sse::NdjsonSplitter ndjson_;
};

std::unique_ptr<Decoder> make_decoder(Dialect dialect,
                                      std::size_t max_event_bytes = sse::default_max_event_bytes);

// Decodes a whole body (tests, tools): fed in slices of `slice` bytes (0 = in one piece),
// then finished.
std::vector<Event> decode_stream(Dialect dialect, std::string_view body, std::size_t slice = 0);

// HTTP statuses worth retrying: 408, 409, 429 and 5xx (including Anthropic's 529).
bool is_retryable_status(int status) noexcept;

// Decodes the error body of a non-2xx answer sent instead of a stream:
// OpenAI `{"error":{message,type,param,code}}`, Anthropic
// `{"type":"error","error":{type,message}}`, Ollama `{"error":"..."}`. Bodies that are not
// JSON (e.g. a proxy's HTML page) give a message made from the status and a short,
// printable prefix of the body. Result: kind=http_status, retryable per status.
StreamError decode_http_error(Dialect dialect, int status, std::string_view body);

}  // namespace chatstream::providers::dialect
