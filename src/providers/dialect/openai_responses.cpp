// OpenAI Responses API streaming (`event: response.*` + `data: {"type": ...}`), no [DONE].
#include <string>
#include <utility>
#include <vector>

#include "providers/dialect/decoders.hpp"
#include "providers/dialect/json_util.hpp"

namespace chatstream::providers::dialect::detail {

namespace {

namespace json = boost::json;

Usage usage_of(const json::object& u) {
  Usage usage;
  usage.prompt_tokens = get_int(u, "input_tokens").value_or(0);
  usage.completion_tokens = get_int(u, "output_tokens").value_or(0);
  if (const json::object* details = get_object(u, "input_tokens_details")) {
    usage.cached_prompt_tokens = get_int(*details, "cached_tokens");
  }
  if (const json::object* details = get_object(u, "output_tokens_details")) {
    usage.reasoning_tokens = get_int(*details, "reasoning_tokens");
  }
  return usage;
}

std::string incomplete_reason(const json::object& response) {
  if (const json::object* details = get_object(response, "incomplete_details")) {
    if (auto reason = get_string(*details, "reason")) {
      return std::string(*reason);
    }
  }
  return "incomplete";
}

class OpenAiResponsesDecoder final : public Decoder {
 public:
  explicit OpenAiResponsesDecoder(std::size_t max_event_bytes)
      : Decoder(Framing::sse, max_event_bytes) {}

  void on_event(const sse::Event& event, std::vector<Event>& out) override {
    if (done()) {
      return;
    }
    const json::object* o = JsonScratch::local().parse_object(event.data);
    if (o == nullptr) {
      fail_protocol("upstream sent a data line that is not a JSON object", out);
      return;
    }
    // The `event:` name equals data.type; prefer the body, fall back to the name.
    const std::string_view type = get_string(*o, "type").value_or(event.type);
    if (type == "response.output_text.delta" || type == "response.refusal.delta") {
      add(out, TextDelta{std::string(get_string(*o, "delta").value_or(""))});
    } else if (type == "response.reasoning_summary_text.delta" ||
               type == "response.reasoning_text.delta") {
      add(out, ReasoningDelta{std::string(get_string(*o, "delta").value_or(""))});
    } else if (type == "response.output_item.added") {
      on_item_added(*o, out);
    } else if (type == "response.function_call_arguments.delta") {
      on_arguments(*o, out);
    } else if (type == "response.completed" || type == "response.incomplete") {
      on_end(*o, type == "response.completed", out);
    } else if (type == "response.failed") {
      on_failed(*o, out);
    } else if (type == "error") {
      StreamError e = upstream_error(*o);
      if (e.type == "error") {
        e.type = e.code;
      }
      fail(std::move(e), out);
    }
  }

 private:
  template <class T>
  static void add(std::vector<Event>& out, T delta) {
    if (!delta.text.empty()) {
      out.emplace_back(std::move(delta));
    }
  }

  // output_index -> tool-call index (0, 1, ... in order of appearance); -1 when not a call.
  int tool_index(std::int64_t output_index) const {
    if (output_index < 0 || static_cast<std::size_t>(output_index) >= tool_of_output_.size()) {
      return -1;
    }
    return tool_of_output_[static_cast<std::size_t>(output_index)];
  }

  void on_item_added(const json::object& o, std::vector<Event>& out) {
    const json::object* item = get_object(o, "item");
    const std::int64_t output_index = get_int(o, "output_index").value_or(-1);
    if (item == nullptr || get_string(*item, "type") != "function_call" || output_index < 0 ||
        output_index > 4096) {
      return;
    }
    if (tool_of_output_.size() <= static_cast<std::size_t>(output_index)) {
      tool_of_output_.resize(static_cast<std::size_t>(output_index) + 1, -1);
    }
    const int index = next_tool_++;
    tool_of_output_[static_cast<std::size_t>(output_index)] = index;
    ToolCallDelta d;
    d.index = index;
    d.id = std::string(get_string(*item, "call_id").value_or(get_string(*item, "id").value_or("")));
    d.name = std::string(get_string(*item, "name").value_or(""));
    d.arguments = std::string(get_string(*item, "arguments").value_or(""));
    out.emplace_back(std::move(d));
  }

  void on_arguments(const json::object& o, std::vector<Event>& out) {
    const int index = tool_index(get_int(o, "output_index").value_or(-1));
    auto delta = get_string(o, "delta");
    if (index >= 0 && delta && !delta->empty()) {
      out.emplace_back(ToolCallDelta{index, {}, {}, std::string(*delta)});
    }
  }

  void on_end(const json::object& o, bool completed, std::vector<Event>& out) {
    const json::object* response = get_object(o, "response");
    Finish finish;
    if (completed) {
      finish.raw = "completed";
      finish.reason = next_tool_ > 0 ? "tool_calls" : "stop";
    } else {
      finish.raw = response != nullptr ? incomplete_reason(*response) : "incomplete";
      finish.reason = finish.raw == "max_output_tokens" ? "length" : finish.raw;
    }
    out.emplace_back(std::move(finish));
    if (response != nullptr) {
      if (const json::object* usage = get_object(*response, "usage")) {
        out.emplace_back(usage_of(*usage));
      }
    }
    set_done();
  }

  void on_failed(const json::object& o, std::vector<Event>& out) {
    StreamError e;
    e.kind = ErrorKind::upstream;
    if (const json::object* response = get_object(o, "response")) {
      if (const json::object* error = get_object(*response, "error")) {
        e = upstream_error(*error);
      }
    }
    if (e.type.empty()) {
      e.type = e.code.empty() ? "response_failed" : e.code;
    }
    if (e.message.empty()) {
      e.message = "upstream response failed";
    }
    fail(std::move(e), out);
  }
  std::vector<int> tool_of_output_;
  int next_tool_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_openai_responses_decoder(std::size_t max_event_bytes) {
  return std::make_unique<OpenAiResponsesDecoder>(max_event_bytes);
}

}  // namespace chatstream::providers::dialect::detail
