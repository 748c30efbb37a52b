#include "api/openai/chunk_encoder.hpp"

#include <charconv>

#include "sse/encoder.hpp"
#include "util/id.hpp"

namespace chatstream::api::openai {

namespace {

void append_int(std::string& out, std::int64_t value) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, value);
  (void)ec;
  out.append(buf, end);
}

}  // namespace

std::string new_completion_id() {
  std::string id = "chatcmpl-";
  id += util::new_id();
  return id;
}

std::string_view openai_finish_reason(std::string_view reason) noexcept {
  if (reason == "length" || reason == "tool_calls" || reason == "content_filter" ||
      reason == "function_call") {
    return reason;
  }
  return "stop";
}

ChunkEncoder::ChunkEncoder(ChunkIdentity identity, bool include_usage, bool reasoning)
    : identity_(std::move(identity)), include_usage_(include_usage), reasoning_(reasoning) {
  prefix_ = "data: {\"id\":";
  sse::append_json_string(prefix_, identity_.id);
  prefix_ += ",\"object\":\"chat.completion.chunk\",\"created\":";
  append_int(prefix_, identity_.created);
  prefix_ += ",\"model\":";
  sse::append_json_string(prefix_, identity_.model);
  prefix_ += ",\"choices\":[";
  suffix_ = include_usage_ ? "],\"usage\":null}\n\n" : "]}\n\n";
  open_choice(content_open_);
  content_open_ += "\"content\":\"";
  content_close_ = "\"";
  close_choice(content_close_, {});
}

void ChunkEncoder::open_choice(std::string& out) const {
  out += prefix_;
  out += "{\"index\":0,\"delta\":{";
}

void ChunkEncoder::close_choice(std::string& out, std::string_view finish_reason) const {
  out += "},\"logprobs\":null,\"finish_reason\":";
  if (finish_reason.empty()) {
    out += "null}";
  } else {
    out += '"';
    out += finish_reason;  // one of our fixed words: no escaping needed
    out += "\"}";
  }
  out += suffix_;
}

void ChunkEncoder::append_role(std::string& out) const {
  open_choice(out);
  out += "\"role\":\"assistant\",\"content\":\"\",\"refusal\":null";
  close_choice(out, {});
}

void ChunkEncoder::append_content(std::string& out, std::string_view text) const {
  out += content_open_;
  sse::append_json_escaped(out, text);
  out += content_close_;
}

void ChunkEncoder::append_reasoning(std::string& out, std::string_view text) const {
  if (!reasoning_) return;
  open_choice(out);
  out += "\"reasoning_content\":";
  sse::append_json_string(out, text);
  close_choice(out, {});
}

void ChunkEncoder::append_tool_call(std::string& out, const providers::ToolCallDelta& call) const {
  open_choice(out);
  out += "\"tool_calls\":[{\"index\":";
  append_int(out, call.index);
  const bool first = !call.id.empty() || !call.name.empty();
  if (first) {
    if (!call.id.empty()) {
      out += ",\"id\":";
      sse::append_json_string(out, call.id);
    }
    out += ",\"type\":\"function\",\"function\":{";
    if (!call.name.empty()) {
      out += "\"name\":";
      sse::append_json_string(out, call.name);
      out += ',';
    }
  } else {
    out += ",\"function\":{";
  }
  out += "\"arguments\":";
  sse::append_json_string(out, call.arguments);
  out += "}}]";
  close_choice(out, {});
}

void ChunkEncoder::append_finish(std::string& out, std::string_view reason) const {
  open_choice(out);
  close_choice(out, openai_finish_reason(reason));
}

void append_usage_json(std::string& out, const providers::Usage& usage) {
  out += "{\"prompt_tokens\":";
  append_int(out, usage.prompt_tokens);
  out += ",\"completion_tokens\":";
  append_int(out, usage.completion_tokens);
  out += ",\"total_tokens\":";
  append_int(out, usage.prompt_tokens + usage.completion_tokens);
  if (usage.cached_prompt_tokens) {
    out += ",\"prompt_tokens_details\":{\"cached_tokens\":";
    append_int(out, *usage.cached_prompt_tokens);
    out += '}';
  }
  if (usage.reasoning_tokens) {
    out += ",\"completion_tokens_details\":{\"reasoning_tokens\":";
    append_int(out, *usage.reasoning_tokens);
    out += '}';
  }
  out += '}';
}

void ChunkEncoder::append_usage(std::string& out, const providers::Usage& usage) const {
  out += prefix_;
  out += "],\"usage\":";
  append_usage_json(out, usage);
  out += "}\n\n";
}

void ChunkEncoder::append_error(std::string& out, const ApiError& error) {
  out += "data: ";
  out += error_json(error);
  out += "\n\n";
}

void ChunkEncoder::append_done(std::string& out) {
  out += "data: [DONE]\n\n";
}

}  // namespace chatstream::api::openai
