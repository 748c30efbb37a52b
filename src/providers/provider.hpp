// The Provider interface: one streaming chat completion, yielding typed events.
// Beast-free on purpose: included by the generation hub and the /v1 gateway.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "providers/events.hpp"

namespace chatstream::providers {

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
  std::string tool_call_id;  // for role "tool": the call this answers (optional)
  std::string name;          // optional participant / tool name
};

struct ChatRequest {
  std::string model;  // upstream model id (already resolved by the Registry)
  std::string system_prompt;
  std::vector<ChatMessage> messages;
  std::optional<double> temperature;
  std::optional<double> top_p;
  std::optional<int> max_tokens;
  std::vector<std::string> stop;
  std::string tools_json;        // raw JSON array passthrough; empty = none
  std::string tool_choice_json;  // raw JSON passthrough; empty = none
  std::string user;              // end-user id passthrough; empty = none
  std::string request_id;        // for log lines only; never sent upstream
};

struct ModelInfo {
  std::string id;            // upstream model id, e.g. "gpt-4o-mini"
  std::string display_name;  // e.g. "Simulated (offline)"
  std::string provider;      // provider config name
  bool simulated = false;
};

// Called in order, on the stream_chat caller's executor, never concurrently.
using EventSink = std::function<void(Event&&)>;

class Provider {
 public:
  virtual ~Provider();
  Provider() = default;
  Provider(const Provider&) = delete;
  Provider& operator=(const Provider&) = delete;

  virtual const std::string& name() const = 0;  // config name, e.g. "openai"
  virtual std::string_view kind() const = 0;    // openai | anthropic | ollama | simulated
  virtual std::vector<ModelInfo> models() const = 0;

  // Streams one completion, calling sink(event) in order; returns after the last event.
  // Exactly one terminal event: Finish (success) or StreamError (failure), always last.
  // Supports asio per-operation cancellation (terminal or partial, e.g. from a parallel
  // group or a co_spawn with a bound cancellation slot): the upstream socket is closed at
  // once and StreamError{kind = cancelled} is the last event. Never throws for I/O or
  // upstream failures (they are events).
  virtual boost::asio::awaitable<void> stream_chat(ChatRequest request, EventSink sink) = 0;
};

// True for the events that carry generated output (the retry policy stops at the first).
bool is_token_event(const Event& event) noexcept;

}  // namespace chatstream::providers
