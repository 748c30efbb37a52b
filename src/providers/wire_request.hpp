// Builds the upstream HTTP request (URL, headers, JSON body) for each provider kind, and
// the retry policy. Pure code: no I/O.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "providers/config.hpp"
#include "providers/http_client.hpp"
#include "providers/provider.hpp"

namespace chatstream::providers {

// Request bodies (stream: true). Raw JSON passthrough fields that do not parse are dropped.
// `include_usage` adds stream_options.include_usage (some compatible servers reject it).
std::string openai_chat_body(const ChatRequest& request, bool include_usage = true);
std::string anthropic_messages_body(const ChatRequest& request, int default_max_tokens = 4096);
std::string ollama_chat_body(const ChatRequest& request);

// The full request for `config.kind` (openai | anthropic | ollama).
HttpRequest build_upstream_request(const ProviderConfig& config, const ChatRequest& request,
                                   bool include_usage = true);

// True when a compatible server rejected the request because of stream_options.
bool rejects_stream_options(const StreamError& error);

// Replaces every occurrence of `secret` in `text` (no-op for an empty secret).
std::string redact(std::string text, std::string_view secret);

// Retry-After handling: `retry-after-ms` (milliseconds) wins over `retry-after` (seconds or
// an HTTP date). nullopt when neither is usable.
std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after_ms, std::string_view retry_after,
    std::chrono::system_clock::time_point now);

// Delay before retry number `attempt` (0-based), or nullopt to give up: exponential backoff
// with jitter (`random01` in [0,1)), or the server's Retry-After when given (give up when it
// exceeds max_retry_after).
std::optional<std::chrono::milliseconds> retry_delay(
    const RetryConfig& config, int attempt, std::optional<std::chrono::milliseconds> retry_after,
    double random01);

}  // namespace chatstream::providers
