// OpenAI Chat Completions streaming (`data: {chunk}` ... `data: [DONE]`), also spoken by
// compatible servers (vLLM, llama-server, OpenRouter, ...).
#include <string>
#include <utility>

#include "providers/dialect/decoders.hpp"
#include "providers/dialect/json_util.hpp"

namespace chatstream::providers::dialect::detail {

namespace {

namespace json = boost::json;

void add_text(std::vector<Event>& out, const json::object& delta, std::string_view key) {
  if (auto text = get_string(delta, key); text && !text->empty()) {
    out.emplace_back(TextDelta{std::string(*text)});
  }
}

void add_reasoning(std::vector<Event>& out, const json::object& delta) {
  // `reasoning_content` (DeepSeek, vLLM, llama-server) or `reasoning` (OpenRouter, Ollama).
  for (std::string_view key : {"reasoning_content", "reasoning"}) {
    if (auto text = get_string(delta, key); text && !text->empty()) {
      out.emplace_back(ReasoningDelta{std::string(*text)});
      return;
    }
  }
}

void add_tool_calls(std::vector<Event>& out, const json::array& calls) {
  for (const json::value& item : calls) {
    const json::object* call = item.if_object();
    if (call == nullptr) {
      continue;
    }
    ToolCallDelta d;
    d.index = static_cast<int>(get_int(*call, "index").value_or(0));
    d.id = std::string(get_string(*call, "id").value_or(""));
    if (const json::object* fn = get_object(*call, "function")) {
      d.name = std::string(get_string(*fn, "name").value_or(""));
      d.arguments = std::string(get_string(*fn, "arguments").value_or(""));
    }
    if (!d.id.empty() || !d.name.empty() || !d.arguments.empty()) {
      out.emplace_back(std::move(d));
    }
  }
}

Usage usage_of(const json::object& u) {
  Usage usage;
  usage.prompt_tokens = get_int(u, "prompt_tokens").value_or(0);
  usage.completion_tokens = get_int(u, "completion_tokens").value_or(0);
  if (const json::object* details = get_object(u, "prompt_tokens_details")) {
    usage.cached_prompt_tokens = get_int(*details, "cached_tokens");
  }
  if (const json::object* details = get_object(u, "completion_tokens_details")) {
    usage.reasoning_tokens = get_int(*details, "reasoning_tokens");
  }
  return usage;
}

class OpenAiChatDecoder final : public Decoder {
 public:
  explicit OpenAiChatDecoder(std::size_t max_event_bytes)
      : Decoder(Framing::sse, max_event_bytes) {}

  void on_event(const sse::Event& event, std::vector<Event>& out) override {
    if (done()) {
      return;
    }
    if (event.data == "[DONE]") {
      set_done();
      return;
    }
    const json::object* chunk = JsonScratch::local().parse_object(event.data);
    if (chunk == nullptr) {
      fail_protocol("upstream sent a data line that is not a JSON object", out);
      return;
    }
    if (const json::value* error = chunk->if_contains("error"); error && !error->is_null()) {
      fail(upstream_error(*error), out);
      return;
    }
    if (event.type == "error") {  // `event: error` with a body of another shape
      fail(upstream_error(*chunk), out);
      return;
    }
    if (const json::array* choices = get_array(*chunk, "choices")) {
      for (const json::value& c : *choices) {
        if (const json::object* choice = c.if_object()) {
          on_choice(*choice, out);
        }
      }
    }
    if (const json::object* usage = get_object(*chunk, "usage")) {
      out.emplace_back(usage_of(*usage));
    }
  }

 private:
  void on_choice(const json::object& choice, std::vector<Event>& out) {
    if (get_int(choice, "index").value_or(0) != 0) {
      return;  // n > 1 is not supported: only the first choice is relayed
    }
    if (const json::object* delta = get_object(choice, "delta")) {
      add_reasoning(out, *delta);
      add_text(out, *delta, "content");
      add_text(out, *delta, "refusal");  // a refusal is the visible answer
      if (const json::array* calls = get_array(*delta, "tool_calls")) {
        add_tool_calls(out, *calls);
      }
    }
    if (auto reason = get_string(choice, "finish_reason")) {
      Finish finish{std::string(*reason), std::string(*reason)};
      if (finish.reason == "function_call") {
        finish.reason = "tool_calls";
      }
      out.emplace_back(std::move(finish));
    }
  }
};

}  // namespace

std::unique_ptr<Decoder> make_openai_chat_decoder(std::size_t max_event_bytes) {
  return std::make_unique<OpenAiChatDecoder>(max_event_bytes);
}

}  // namespace chatstream::providers::dialect::detail
