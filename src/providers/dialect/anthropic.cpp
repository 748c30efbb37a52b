// Anthropic Messages streaming (`event: <type>` + `data: {"type": ...}`).
#include <string>
#include <utility>
#include <vector>

#include "providers/dialect/decoders.hpp"
#include "providers/dialect/json_util.hpp"

namespace chatstream::providers::dialect::detail {

namespace {

namespace json = boost::json;

// Anthropic stop_reason -> OpenAI finish_reason vocabulary.
std::string normalize_stop_reason(std::string_view raw) {
  if (raw == "end_turn" || raw == "stop_sequence") {
    return "stop";
  }
  if (raw == "max_tokens" || raw == "model_context_window_exceeded") {
    return "length";
  }
  if (raw == "tool_use") {
    return "tool_calls";
  }
  if (raw == "refusal") {
    return "content_filter";
  }
  return std::string(raw);
}

class AnthropicDecoder final : public Decoder {
 public:
  explicit AnthropicDecoder(std::size_t max_event_bytes) : Decoder(Framing::sse, max_event_bytes) {}

  void on_event(const sse::Event& event, std::vector<Event>& out) override {
    if (done()) {
      return;
    }
    const json::object* o = JsonScratch::local().parse_object(event.data);
    if (o == nullptr) {
      fail_protocol("upstream sent a data line that is not a JSON object", out);
      return;
    }
    const std::string_view type = get_string(*o, "type").value_or(event.type);
    if (type == "content_block_delta") {
      on_delta(*o, out);
    } else if (type == "content_block_start") {
      on_block_start(*o, out);
    } else if (type == "message_start") {
      if (const json::object* message = get_object(*o, "message")) {
        update_usage(*message, out);
      }
    } else if (type == "message_delta") {
      on_message_delta(*o, out);
    } else if (type == "message_stop") {
      set_done();
    } else if (type == "error" || event.type == "error") {
      const json::object* error = get_object(*o, "error");
      fail(upstream_error(error != nullptr ? *error : *o), out);
    }
    // ping, content_block_stop and unknown types carry nothing to relay.
  }

 private:
  int tool_index(std::int64_t block) const {
    if (block < 0 || static_cast<std::size_t>(block) >= tool_of_block_.size()) {
      return -1;
    }
    return tool_of_block_[static_cast<std::size_t>(block)];
  }

  void on_block_start(const json::object& o, std::vector<Event>& out) {
    const json::object* block = get_object(o, "content_block");
    if (block == nullptr) {
      return;
    }
    const std::string_view type = get_string(*block, "type").value_or("");
    if (type == "text") {
      add_text(out, get_string(*block, "text"));
    } else if (type == "thinking") {
      add_reasoning(out, get_string(*block, "thinking"));
    } else if (type == "tool_use") {
      const std::int64_t index = get_int(o, "index").value_or(-1);
      if (index < 0 || index > 4096) {
        return;
      }
      if (tool_of_block_.size() <= static_cast<std::size_t>(index)) {
        tool_of_block_.resize(static_cast<std::size_t>(index) + 1, -1);
      }
      const int tool = next_tool_++;
      tool_of_block_[static_cast<std::size_t>(index)] = tool;
      out.emplace_back(ToolCallDelta{tool,
                                     std::string(get_string(*block, "id").value_or("")),
                                     std::string(get_string(*block, "name").value_or("")),
                                     {}});
    }
  }

  void on_delta(const json::object& o, std::vector<Event>& out) {
    const json::object* delta = get_object(o, "delta");
    if (delta == nullptr) {
      return;
    }
    const std::string_view type = get_string(*delta, "type").value_or("");
    if (type == "text_delta") {
      add_text(out, get_string(*delta, "text"));
    } else if (type == "thinking_delta") {
      add_reasoning(out, get_string(*delta, "thinking"));
    } else if (type == "input_json_delta") {
      const int tool = tool_index(get_int(o, "index").value_or(-1));
      auto json_part = get_string(*delta, "partial_json");
      if (tool >= 0 && json_part && !json_part->empty()) {
        out.emplace_back(ToolCallDelta{tool, {}, {}, std::string(*json_part)});
      }
    }
    // signature_delta, citations_delta: nothing to relay.
  }

  void on_message_delta(const json::object& o, std::vector<Event>& out) {
    if (const json::object* delta = get_object(o, "delta")) {
      if (auto reason = get_string(*delta, "stop_reason")) {
        out.emplace_back(Finish{normalize_stop_reason(*reason), std::string(*reason)});
      }
    }
    update_usage(o, out);
  }

  // `usage` in message_start and (cumulative) in message_delta; fields not sent keep their
  // earlier values. Prompt tokens in OpenAI terms include cache writes and reads.
  void update_usage(const json::object& holder, std::vector<Event>& out) {
    const json::object* u = get_object(holder, "usage");
    if (u == nullptr) {
      return;
    }
    input_ = get_int(*u, "input_tokens").value_or(input_);
    cache_write_ = get_int(*u, "cache_creation_input_tokens").value_or(cache_write_);
    if (auto read = get_int(*u, "cache_read_input_tokens")) {
      cache_read_ = read;
    }
    output_ = get_int(*u, "output_tokens").value_or(output_);
    Usage usage;
    usage.prompt_tokens = input_ + cache_write_ + cache_read_.value_or(0);
    usage.completion_tokens = output_;
    usage.cached_prompt_tokens = cache_read_;
    out.emplace_back(usage);
  }

  static void add_text(std::vector<Event>& out, std::optional<std::string_view> text) {
    if (text && !text->empty()) {
      out.emplace_back(TextDelta{std::string(*text)});
    }
  }

  static void add_reasoning(std::vector<Event>& out, std::optional<std::string_view> text) {
    if (text && !text->empty()) {
      out.emplace_back(ReasoningDelta{std::string(*text)});
    }
  }
  std::vector<int> tool_of_block_;
  int next_tool_ = 0;
  std::int64_t input_ = 0;
  std::int64_t cache_write_ = 0;
  std::optional<std::int64_t> cache_read_;
  std::int64_t output_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_anthropic_decoder(std::size_t max_event_bytes) {
  return std::make_unique<AnthropicDecoder>(max_event_bytes);
}

}  // namespace chatstream::providers::dialect::detail
