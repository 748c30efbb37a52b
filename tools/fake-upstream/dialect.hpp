// Wire formats of the impersonated providers. Pure code: every function returns the exact bytes
// of a frame (SSE event, NDJSON line or JSON body); the responder decides when to write them.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatstream::fake_upstream {

enum class Provider { openai, anthropic, ollama, plain_sse };

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// Everything a generated stream needs to know about the request it answers.
struct StreamContext {
  Provider provider = Provider::openai;
  std::string model;
  std::string id;            // chatcmpl-… / msg_… ; derived from the request id
  std::int64_t created = 0;  // unix seconds
  std::uint64_t seed = 1;
  std::size_t tokens = 0;
  std::size_t prompt_tokens = 0;
  bool include_usage = false;   // OpenAI stream_options.include_usage
  std::string finish = "stop";  // stop | length (mapped per provider)
  std::chrono::system_clock::time_point started{};
};

std::string_view stream_content_type(Provider p);

// Bytes sent right after the headers, before the first token (role chunk, message_start…).
std::string stream_head(const StreamContext& c);
// Token `index`'s frame appended to `out`.
void append_stream_token(std::string& out, const StreamContext& c, std::size_t index);
// A frame whose JSON is cut off in the middle (for the malformed fault).
std::string stream_malformed(const StreamContext& c);
// Finish reason, usage and the terminal marker, after `sent` tokens.
std::string stream_tail(const StreamContext& c, std::size_t sent);

// Non-streaming answer body (`chat.completion`, `message`, Ollama `done:true` object).
std::string complete_body(const StreamContext& c);

// `GET /v1/models` (OpenAI and Anthropic list shapes) and `GET /api/tags`.
std::string models_body(Provider p);

struct Reply {
  unsigned status = 200;
  HeaderList headers;  // besides content-type/length, which the writer adds
  std::string content_type = "application/json";
  std::string body;
};

// The provider's error response for `status` (exact body shape and headers: request id,
// retry-after / retry-after-ms, x-should-retry). An empty `message` uses the provider's usual
// text for that status; `model` fills "model not found" messages.
Reply error_reply(Provider p, unsigned status, std::optional<std::uint32_t> retry_after,
                  std::string_view message, std::string_view model, std::string_view request_id);

std::string_view reason_phrase(unsigned status);

// Splits a fixture body into frames without changing a byte: SSE after each blank line (LF, CRLF
// or CR line ends), NDJSON after each newline. The pieces concatenate to `body`.
std::vector<std::string_view> split_frames(std::string_view body, bool ndjson);

// Content type for a fixture file name: .sse, .ndjson, .json, otherwise octet-stream.
std::string_view fixture_content_type(std::string_view file_name);

namespace detail {
std::string openai_head(const StreamContext& c);
void openai_token(std::string& out, const StreamContext& c, std::size_t index);
std::string openai_malformed(const StreamContext& c);
std::string openai_tail(const StreamContext& c, std::size_t sent);
std::string openai_complete(const StreamContext& c);
Reply openai_error(unsigned status, std::string_view message, std::string_view model);

std::string anthropic_head(const StreamContext& c);
void anthropic_token(std::string& out, const StreamContext& c, std::size_t index);
std::string anthropic_malformed(const StreamContext& c);
std::string anthropic_tail(const StreamContext& c, std::size_t sent);
std::string anthropic_complete(const StreamContext& c);
Reply anthropic_error(unsigned status, std::string_view message, std::string_view model,
                      std::string_view request_id);

void ollama_token(std::string& out, const StreamContext& c, std::size_t index);
std::string ollama_malformed(const StreamContext& c);
std::string ollama_tail(const StreamContext& c, std::size_t sent);
std::string ollama_complete(const StreamContext& c);
Reply ollama_error(unsigned status, std::string_view message, std::string_view model);

void plain_token(std::string& out, const StreamContext& c, std::size_t index);
std::string plain_tail(const StreamContext& c, std::size_t sent);
}  // namespace detail

}  // namespace chatstream::fake_upstream
