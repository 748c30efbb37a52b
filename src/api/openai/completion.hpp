// Collects a provider stream into one OpenAI `chat.completion` object (stream: false).
// Pure code: feed every event, then ask for the result.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "api/openai/chunk_encoder.hpp"
#include "providers/events.hpp"

namespace chatstream::api::openai {

class CompletionBuilder {
 public:
  CompletionBuilder(ChunkIdentity identity, bool reasoning);

  void add(providers::Event&& event);

  // The terminal event has been seen.
  bool finished() const noexcept { return finish_.has_value() || error_.has_value(); }
  // The failure, when the stream ended with one.
  const std::optional<providers::StreamError>& error() const noexcept { return error_; }
  // The `chat.completion` JSON (call after a Finish).
  std::string json() const;
  const std::string& content() const noexcept { return content_; }

 private:
  struct ToolCall {
    int index = 0;
    std::string id, name, arguments;
  };
  ToolCall& tool_call(int index);

  ChunkIdentity identity_;
  bool reasoning_;
  std::string content_;
  std::string reasoning_content_;
  std::vector<ToolCall> tool_calls_;  // in order of first appearance
  providers::Usage usage_;
  std::optional<providers::Finish> finish_;
  std::optional<providers::StreamError> error_;
};

}  // namespace chatstream::api::openai
