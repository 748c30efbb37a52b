#include "providers/dialect/decoder.hpp"

#include <string>
#include <utility>

#include "providers/dialect/decoders.hpp"

namespace chatstream::providers::dialect {

const char* to_string(Dialect dialect) noexcept {
  switch (dialect) {
    case Dialect::openai_chat:
      return "openai_chat";
    case Dialect::openai_responses:
      return "openai_responses";
    case Dialect::anthropic:
      return "anthropic";
    case Dialect::ollama:
      return "ollama";
  }
  return "unknown";
}

Decoder::Decoder(Framing framing, std::size_t max_event_bytes)
    : framing_(framing), sse_(max_event_bytes), ndjson_(max_event_bytes) {}

void Decoder::on_event(const sse::Event& /*event*/, std::vector<Event>& /*out*/) {}

void Decoder::on_line(std::string_view /*line*/, std::vector<Event>& /*out*/) {}

void Decoder::feed(std::string_view bytes, std::vector<Event>& out) {
  if (framing_ == Framing::sse) {
    while (!done_ && !bytes.empty()) {
      if (std::optional<sse::Event> event = sse_.next(bytes)) {
        on_event(*event, out);
      }
    }
    if (!done_ && sse_.status() != sse::EventStreamParser::Status::ok) {
      fail_protocol("upstream event exceeds the size limit", out);
    }
  } else {
    while (!done_ && !bytes.empty()) {
      if (std::optional<std::string_view> line = ndjson_.next(bytes)) {
        on_line(*line, out);
      }
    }
    if (!done_ && ndjson_.status() != sse::NdjsonSplitter::Status::ok) {
      fail_protocol("upstream line exceeds the size limit", out);
    }
  }
}

void Decoder::finish(std::vector<Event>& out) {
  if (done_) {
    return;
  }
  if (framing_ == Framing::sse) {
    sse_.finish();  // an unterminated event is discarded (WHATWG)
  } else if (std::optional<std::string_view> line = ndjson_.finish()) {
    finishing_ = true;  // a partial last line means truncation, not a malformed stream
    on_line(*line, out);
  }
  if (!done_) {
    StreamError error;
    error.kind = ErrorKind::truncated;
    error.message = "upstream closed the stream before it finished";
    error.retryable = true;
    fail(std::move(error), out);
  }
}

void Decoder::fail(StreamError error, std::vector<Event>& out) {
  if (done_) {
    return;
  }
  done_ = true;
  failed_ = true;
  out.emplace_back(std::move(error));
}

void Decoder::fail_protocol(std::string message, std::vector<Event>& out) {
  StreamError error;
  error.kind = finishing_ ? ErrorKind::truncated : ErrorKind::protocol;
  error.message =
      finishing_ ? "upstream closed the stream in the middle of a line" : std::move(message);
  error.retryable = finishing_;
  fail(std::move(error), out);
}

std::unique_ptr<Decoder> make_decoder(Dialect dialect, std::size_t max_event_bytes) {
  switch (dialect) {
    case Dialect::openai_chat:
      return detail::make_openai_chat_decoder(max_event_bytes);
    case Dialect::openai_responses:
      return detail::make_openai_responses_decoder(max_event_bytes);
    case Dialect::anthropic:
      return detail::make_anthropic_decoder(max_event_bytes);
    case Dialect::ollama:
      return detail::make_ollama_decoder(max_event_bytes);
  }
  return detail::make_openai_chat_decoder(max_event_bytes);
}

std::vector<Event> decode_stream(Dialect dialect, std::string_view body, std::size_t slice) {
  std::unique_ptr<Decoder> decoder = make_decoder(dialect);
  std::vector<Event> out;
  if (slice == 0) {
    decoder->feed(body, out);
  } else {
    for (std::size_t i = 0; i < body.size(); i += slice) {
      decoder->feed(body.substr(i, slice), out);
    }
  }
  decoder->finish(out);
  return out;
}

bool is_retryable_status(int status) noexcept {
  return status == 408 || status == 409 || status == 429 || (status >= 500 && status <= 599);
}

}  // namespace chatstream::providers::dialect
