#include "api/openai/completion.hpp"

#include <charconv>
#include <type_traits>

#include "sse/encoder.hpp"

namespace chatstream::api::openai {

CompletionBuilder::CompletionBuilder(ChunkIdentity identity, bool reasoning)
    : identity_(std::move(identity)), reasoning_(reasoning) {}

CompletionBuilder::ToolCall& CompletionBuilder::tool_call(int index) {
  for (auto& call : tool_calls_) {
    if (call.index == index) return call;
  }
  tool_calls_.push_back(ToolCall{index, {}, {}, {}});
  return tool_calls_.back();
}

void CompletionBuilder::add(providers::Event&& event) {
  if (finished()) return;
  std::visit(
      [this](auto&& e) {
        using T = std::decay_t<decltype(e)>;
        if constexpr (std::is_same_v<T, providers::TextDelta>) {
          content_ += e.text;
        } else if constexpr (std::is_same_v<T, providers::ReasoningDelta>) {
          if (reasoning_) reasoning_content_ += e.text;
        } else if constexpr (std::is_same_v<T, providers::ToolCallDelta>) {
          auto& call = tool_call(e.index);
          if (!e.id.empty()) call.id = std::move(e.id);
          if (!e.name.empty()) call.name += e.name;
          call.arguments += e.arguments;
        } else if constexpr (std::is_same_v<T, providers::Usage>) {
          usage_ = e;
        } else if constexpr (std::is_same_v<T, providers::Finish>) {
          finish_ = std::move(e);
        } else {
          error_ = std::move(e);
        }
      },
      std::move(event));
}

std::string CompletionBuilder::json() const {
  std::string out;
  out.reserve(256 + content_.size() + reasoning_content_.size());
  out += "{\"id\":";
  sse::append_json_string(out, identity_.id);
  out += ",\"object\":\"chat.completion\",\"created\":";
  out += std::to_string(identity_.created);
  out += ",\"model\":";
  sse::append_json_string(out, identity_.model);
  out += ",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":";
  if (content_.empty() && !tool_calls_.empty()) {
    out += "null";
  } else {
    sse::append_json_string(out, content_);
  }
  if (!reasoning_content_.empty()) {
    out += ",\"reasoning_content\":";
    sse::append_json_string(out, reasoning_content_);
  }
  out += ",\"refusal\":null";
  if (!tool_calls_.empty()) {
    out += ",\"tool_calls\":[";
    for (std::size_t i = 0; i < tool_calls_.size(); ++i) {
      const auto& call = tool_calls_[i];
      if (i > 0) out += ',';
      out += "{\"id\":";
      sse::append_json_string(out, call.id);
      out += ",\"type\":\"function\",\"function\":{\"name\":";
      sse::append_json_string(out, call.name);
      out += ",\"arguments\":";
      sse::append_json_string(out, call.arguments);
      out += "}}";
    }
    out += ']';
  }
  out += "},\"logprobs\":null,\"finish_reason\":\"";
  out += openai_finish_reason(finish_ ? std::string_view(finish_->reason) : "stop");
  out += "\"}],\"usage\":";
  append_usage_json(out, usage_);
  out += '}';
  return out;
}

}  // namespace chatstream::api::openai
