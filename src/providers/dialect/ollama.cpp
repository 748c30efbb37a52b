// Ollama /api/chat streaming: one JSON object per line; the last has "done": true.
#include <boost/json/serialize.hpp>

#include <string>
#include <utility>

#include "providers/dialect/decoders.hpp"
#include "providers/dialect/json_util.hpp"

namespace chatstream::providers::dialect::detail {

namespace {

namespace json = boost::json;

class OllamaDecoder final : public Decoder {
 public:
  explicit OllamaDecoder(std::size_t max_event_bytes) : Decoder(Framing::ndjson, max_event_bytes) {}

  void on_line(std::string_view line, std::vector<Event>& out) override {
    if (done()) {
      return;
    }
    const json::object* o = JsonScratch::local().parse_object(line);
    if (o == nullptr) {
      fail_protocol("upstream sent a line that is not a JSON object", out);
      return;
    }
    if (const json::value* error = o->if_contains("error"); error && !error->is_null()) {
      fail(upstream_error(*error), out);
      return;
    }
    if (const json::object* message = get_object(*o, "message")) {
      on_message(*message, out);
    }
    if (const json::value* done_flag = o->if_contains("done");
        done_flag && done_flag->is_bool() && done_flag->get_bool()) {
      on_done(*o, out);
    }
  }

 private:
  void on_message(const json::object& message, std::vector<Event>& out) {
    if (auto thinking = get_string(message, "thinking"); thinking && !thinking->empty()) {
      out.emplace_back(ReasoningDelta{std::string(*thinking)});
    }
    if (auto content = get_string(message, "content"); content && !content->empty()) {
      out.emplace_back(TextDelta{std::string(*content)});
    }
    if (const json::array* calls = get_array(message, "tool_calls")) {
      for (const json::value& item : *calls) {
        const json::object* call = item.if_object();
        const json::object* fn = call != nullptr ? get_object(*call, "function") : nullptr;
        if (fn == nullptr) {
          continue;
        }
        // Ollama sends each call whole, with `arguments` as a JSON object.
        ToolCallDelta d;
        d.index = next_tool_++;
        d.id = std::string(get_string(*call, "id").value_or(""));
        d.name = std::string(get_string(*fn, "name").value_or(""));
        if (const json::value* args = fn->if_contains("arguments")) {
          d.arguments = args->is_string() ? std::string(args->get_string()) : serialize(*args);
        }
        out.emplace_back(std::move(d));
      }
    }
  }

  void on_done(const json::object& o, std::vector<Event>& out) {
    const std::string raw(get_string(o, "done_reason").value_or("stop"));
    out.emplace_back(Finish{raw == "length" ? "length" : next_tool_ > 0 ? "tool_calls" : raw, raw});
    auto prompt = get_int(o, "prompt_eval_count");
    auto completion = get_int(o, "eval_count");
    if (prompt || completion) {
      Usage usage;
      usage.prompt_tokens = prompt.value_or(0);
      usage.completion_tokens = completion.value_or(0);
      out.emplace_back(usage);
    }
    set_done();
  }
  int next_tool_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_ollama_decoder(std::size_t max_event_bytes) {
  return std::make_unique<OllamaDecoder>(max_event_bytes);
}

}  // namespace chatstream::providers::dialect::detail
