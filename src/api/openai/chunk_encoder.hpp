// Encodes provider events as OpenAI `chat.completion.chunk` SSE lines, byte for byte in the
// shape OpenAI sends: `data: {json}\n\n`, no `event:` field, `data: [DONE]\n\n` at the end.
// Pure code on the per-token hot path: the constant part of every chunk is built once and each
// event costs one escape of its text into the caller's buffer (no temporary strings).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "api/openai/errors.hpp"
#include "providers/events.hpp"

namespace chatstream::api::openai {

struct ChunkIdentity {
  std::string id;            // "chatcmpl-…", the same in every chunk of a stream
  std::int64_t created = 0;  // Unix seconds
  std::string model;         // the model id the client asked for
};

// "chatcmpl-" followed by a random, time-ordered id.
std::string new_completion_id();

// Finish reasons in OpenAI's vocabulary; anything else becomes "stop".
std::string_view openai_finish_reason(std::string_view reason) noexcept;

class ChunkEncoder {
 public:
  // `include_usage`: stream_options.include_usage was set (every chunk then carries
  // "usage":null and the usage chunk follows the finish chunk).
  // `reasoning`: relay ReasoningDelta as delta.reasoning_content (else dropped).
  ChunkEncoder(ChunkIdentity identity, bool include_usage, bool reasoning);

  // The first chunk: delta {"role":"assistant","content":""}.
  void append_role(std::string& out) const;
  void append_content(std::string& out, std::string_view text) const;
  void append_reasoning(std::string& out, std::string_view text) const;
  void append_tool_call(std::string& out, const providers::ToolCallDelta& call) const;
  void append_finish(std::string& out, std::string_view reason) const;
  // The usage chunk ("choices":[]).
  void append_usage(std::string& out, const providers::Usage& usage) const;
  // `data: {"error":{...}}` for a failure after the stream started.
  static void append_error(std::string& out, const ApiError& error);
  static void append_done(std::string& out);

  bool include_usage() const noexcept { return include_usage_; }
  bool reasoning() const noexcept { return reasoning_; }
  const ChunkIdentity& identity() const noexcept { return identity_; }

 private:
  // prefix_ + <choice fields> + suffix_: one choice with index 0.
  void open_choice(std::string& out) const;
  void close_choice(std::string& out, std::string_view finish_reason) const;

  ChunkIdentity identity_;
  bool include_usage_;
  bool reasoning_;
  std::string prefix_;  // `data: {"id":…,"object":…,"created":…,"model":…,"choices":[`
  std::string suffix_;  // `]` [+ `,"usage":null`] + `}\n\n`
  // A content chunk is content_open_ + the escaped text + content_close_ (three appends).
  std::string content_open_;   // prefix_ + `{"index":0,"delta":{"content":"`
  std::string content_close_;  // `"},"logprobs":null,"finish_reason":null}` + suffix_
};

// Usage as OpenAI's JSON object (with total_tokens and the detail objects when known).
void append_usage_json(std::string& out, const providers::Usage& usage);

}  // namespace chatstream::api::openai
