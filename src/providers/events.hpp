// Typed events a provider stream yields, independent of the upstream's wire format.
// Pure data: no I/O, no Asio. Shared by the dialect decoders, the providers, the
// generation hub and the /v1 gateway.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>

namespace chatstream::providers {

// A piece of the visible answer.
struct TextDelta {
  std::string text;
};

// A piece of the model's reasoning, for providers that stream it separately
// (e.g. `reasoning_content` on OpenAI-compatible servers, Anthropic thinking blocks).
struct ReasoningDelta {
  std::string text;
};

// A fragment of a tool call. The first fragment of an index carries id and name;
// later ones only append to `arguments`. Consumers assemble per index.
struct ToolCallDelta {
  int index = 0;
  std::string id;         // empty when not sent in this fragment
  std::string name;       // empty when not sent in this fragment
  std::string arguments;  // JSON text fragment (may be empty)
};

// Token usage. Providers report it once (OpenAI usage chunk, Ollama done object)
// or cumulatively (Anthropic message_delta): the latest value wins.
struct Usage {
  std::int64_t prompt_tokens = 0;
  std::int64_t completion_tokens = 0;
  std::optional<std::int64_t> cached_prompt_tokens;
  std::optional<std::int64_t> reasoning_tokens;
};

// Normalized finish reasons (OpenAI vocabulary). `raw` keeps the provider's word
// (e.g. Anthropic "end_turn" -> reason "stop", raw "end_turn").
struct Finish {
  std::string reason;  // stop | length | tool_calls | content_filter | <other>
  std::string raw;
};

enum class ErrorKind {
  http_status,  // non-2xx answer before the stream started
  upstream,     // error reported inside the stream (data: {"error":..}, event: error)
  truncated,    // connection ended without a terminal marker
  timeout,      // connect / first byte / idle / total timeout
  connect,      // DNS, TCP, TLS or proxy failure
  protocol,     // malformed bytes or JSON from upstream
  cancelled,    // cancelled by us
};

const char* to_string(ErrorKind kind) noexcept;

// A failure. Always the last event of a stream that did not finish normally.
struct StreamError {
  ErrorKind kind = ErrorKind::upstream;
  std::string type;     // provider's error type, e.g. "server_error", "overloaded_error"
  std::string message;  // human-readable; never contains API keys
  int http_status = 0;  // provider HTTP status when known, else 0
  std::string code;     // provider's error code when given
  bool retryable = false;
};

using Event = std::variant<TextDelta, ReasoningDelta, ToolCallDelta, Usage, Finish, StreamError>;

}  // namespace chatstream::providers
