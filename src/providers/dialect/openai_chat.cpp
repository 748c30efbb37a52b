// OpenAI Chat Completions streaming (`data: {chunk}` ... `data: [DONE]`), also spoken by
// compatible servers (vLLM, llama-server, OpenRouter, ...).
#include <bit>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "providers/dialect/decoders.hpp"
#include "providers/dialect/json_util.hpp"
#include "util/swar.hpp"

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

Finish finish_of(std::string_view reason) {
  Finish finish{std::string(reason), std::string(reason)};
  if (finish.reason == "function_call") finish.reason = "tool_calls";
  return finish;
}

// Fast path for the chunks nearly every answer is made of, read without building a JSON tree:
//   {"id":"…","object":"chat.completion.chunk","created":1,"model":"…",
//    "choices":[{"index":0,"delta":{"role":"assistant","content":"…","refusal":null},
//    "logprobs":null,"finish_reason":null}]}
// and the last one, with "delta":{} and "finish_reason":"stop", then the usage chunk
// ("choices":[] and "usage" of integer counts, with details objects of integer counts). Other
// scalar top-level members are skipped, "usage":null is accepted. Anything else (an escape in
// a string, another delta member, a count that is not a plain integer, an error, several
// choices, malformed JSON) is left to the full parse: the scan then returns false.
class ChunkScan {
 public:
  explicit ChunkScan(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  // On success `content` is the delta's content (escape-free; may be empty or absent),
  // `finish` the finish reason (escape-free) and `usage` the counts, if there are.
  bool run(std::string_view& content, std::optional<std::string_view>& finish,
           std::optional<Usage>& usage) {
    bool choices = false;
    bool usage_seen = false;
    if (!object([&](std::string_view key) {
          if (key == "choices") {
            return !std::exchange(choices, true) && choice_array(content, finish);
          }
          if (key == "usage") {
            return !std::exchange(usage_seen, true) && (literal("null") || usage_object(usage));
          }
          if (key == "error") return false;
          return scalar();
        })) {
      return false;
    }
    ws();
    return p_ == end_;
  }

  // Whether `text` is, as it stands, the inside of a JSON string the fast path accepts: valid
  // UTF-8 without a quote, a backslash or a control character.
  static bool plain_string_body(std::string_view text) {
    ChunkScan scan(text);
    return scan.plain_run() && scan.p_ == scan.end_;
  }

 private:
  // {"prompt_tokens":N,"completion_tokens":N,"total_tokens":N,
  //  "prompt_tokens_details":{"cached_tokens":N,...},"completion_tokens_details":{...}}: other
  // members must be counts too (or null); read as the full parse reads them.
  bool usage_object(std::optional<Usage>& usage) {
    Usage u;
    bool prompt = false;
    bool completion = false;
    bool prompt_details = false;
    bool completion_details = false;
    std::optional<std::int64_t> ignored;
    const bool ok = object([&](std::string_view key) {
      std::optional<std::int64_t> n;
      if (key == "prompt_tokens") {
        if (std::exchange(prompt, true) || !count(n)) return false;
        u.prompt_tokens = n.value_or(0);
        return true;
      }
      if (key == "completion_tokens") {
        if (std::exchange(completion, true) || !count(n)) return false;
        u.completion_tokens = n.value_or(0);
        return true;
      }
      if (key == "prompt_tokens_details") {
        return !std::exchange(prompt_details, true) &&
               details_object("cached_tokens", u.cached_prompt_tokens);
      }
      if (key == "completion_tokens_details") {
        return !std::exchange(completion_details, true) &&
               details_object("reasoning_tokens", u.reasoning_tokens);
      }
      return count(ignored);
    });
    if (!ok) return false;
    usage = u;
    return true;
  }

  // null, or an object of counts whose `wanted` member goes to `out`.
  bool details_object(std::string_view wanted, std::optional<std::int64_t>& out) {
    if (literal("null")) return true;
    bool seen = false;
    return object([&](std::string_view key) {
      std::optional<std::int64_t> n;
      if (!count(n)) return false;
      if (key != wanted) return true;
      if (std::exchange(seen, true)) return false;
      out = n;
      return true;
    });
  }

  // null (`out` stays empty) or a plain integer of at most 18 digits (no fraction, exponent
  // or sign, so no range to check).
  bool count(std::optional<std::int64_t>& out) {
    if (literal("null")) return true;
    const char* begin = p_;
    std::int64_t value = 0;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9' && p_ - begin < 18) {
      value = value * 10 + (*p_ - '0');
      ++p_;
    }
    const std::ptrdiff_t digits = p_ - begin;
    if (digits == 0 || (digits > 1 && *begin == '0')) return false;
    if (p_ != end_ && (*p_ == '.' || *p_ == 'e' || *p_ == 'E' || (*p_ >= '0' && *p_ <= '9'))) {
      return false;  // a fraction, an exponent or more digits: the full parse decides
    }
    out = value;
    return true;
  }

  template <typename Member>
  bool object(Member&& member) {
    ws();
    if (!eat('{')) return false;
    ws();
    if (eat('}')) return true;
    for (;;) {
      std::string_view key;
      ws();
      if (!string(key)) return false;
      ws();
      if (!eat(':')) return false;
      ws();
      if (!member(key)) return false;
      ws();
      if (eat('}')) return true;
      if (!eat(',')) return false;
    }
  }

  bool choice_array(std::string_view& content, std::optional<std::string_view>& finish) {
    if (!eat('[')) return false;
    ws();
    if (eat(']')) return true;  // the usage chunk's
    bool index = false;
    bool delta = false;
    bool reason = false;
    if (!object([&](std::string_view key) {
          if (key == "index") return !std::exchange(index, true) && literal("0");
          if (key == "delta") return !std::exchange(delta, true) && delta_object(content);
          if (key == "logprobs") return literal("null");
          if (key == "finish_reason") {
            std::string_view text;
            if (std::exchange(reason, true)) return false;
            if (literal("null")) return true;
            if (!string(text)) return false;
            finish = text;
            return true;
          }
          return false;
        })) {
      return false;
    }
    ws();
    return eat(']');
  }

  bool delta_object(std::string_view& content) {
    bool role = false;
    bool text = false;
    bool refusal = false;
    return object([&](std::string_view key) {
      std::string_view ignored;
      if (key == "role") return !std::exchange(role, true) && string(ignored);
      if (key == "content") {
        return !std::exchange(text, true) && (literal("null") || string(content));
      }
      if (key == "refusal") return !std::exchange(refusal, true) && literal("null");
      return false;
    });
  }

  // Moves over the inside of a string that needs no unescaping; stops at the end, at a quote,
  // or (returning false) at anything the fast path does not take.
  bool plain_run() {
    while (p_ != end_) {
      skip_plain();
      if (p_ == end_) break;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') return true;
      if (c == '\\' || c < 0x20) return false;
      if (c < 0x80) {
        ++p_;
      } else if (!utf8()) {
        return false;
      }
    }
    return true;
  }

  // A string without escapes, valid UTF-8, no control characters.
  bool string(std::string_view& out) {
    if (!eat('"')) return false;
    const char* begin = p_;
    if (!plain_run() || p_ == end_) return false;
    out = std::string_view(begin, static_cast<std::size_t>(p_ - begin));
    ++p_;  // the closing quote
    return true;
  }

  // Moves over printable ASCII other than '"' and '\\' eight bytes at a time (SWAR): stops at
  // the first byte that needs a look, or where fewer than eight bytes are left.
  void skip_plain() {
    if constexpr (std::endian::native == std::endian::little) {
      for (; end_ - p_ >= 8; p_ += 8) {
        const std::uint64_t x = util::swar::load(p_);
        // '"', '\\', a control character (< 0x20), a byte >= 0x80
        const std::uint64_t special = util::swar::json_special(x) | util::swar::non_ascii(x);
        if (special != 0) {
          p_ += util::swar::first(special);
          return;
        }
      }
    }
  }

  // Out of line: most text is ASCII, and the string scan stays small without it.
  [[gnu::noinline]] bool utf8() {
    const auto at = [&](std::ptrdiff_t i) { return static_cast<unsigned char>(p_[i]); };
    const auto cont = [&](std::ptrdiff_t i) { return (at(i) & 0xC0) == 0x80; };
    const std::ptrdiff_t left = end_ - p_;
    const unsigned char c = at(0);
    std::ptrdiff_t n = 0;
    if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
    } else {
      return false;
    }
    if (left < n) return false;
    for (std::ptrdiff_t i = 1; i < n; ++i) {
      if (!cont(i)) return false;
    }
    const unsigned char c1 = at(1);
    if ((c == 0xE0 && c1 < 0xA0) || (c == 0xED && c1 > 0x9F) || (c == 0xF0 && c1 < 0x90) ||
        (c == 0xF4 && c1 > 0x8F)) {
      return false;  // overlong, surrogate or beyond U+10FFFF
    }
    p_ += n;
    return true;
  }

  bool scalar() {
    std::string_view ignored;
    if (p_ == end_) return false;
    switch (*p_) {
      case '"':
        return string(ignored);
      case 't':
        return literal("true");
      case 'f':
        return literal("false");
      case 'n':
        return literal("null");
      default:
        return number();
    }
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
  bool number() {
    eat('-');
    if (eat('0')) {
    } else if (p_ != end_ && *p_ >= '1' && *p_ <= '9') {
      digits();
    } else {
      return false;
    }
    if (eat('.') && !digits()) return false;
    if (eat('e') || eat('E')) {
      if (!eat('+')) eat('-');
      if (!digits()) return false;
    }
    return true;
  }

  bool digits() {
    const char* begin = p_;
    while (p_ != end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return p_ != begin;
  }

  bool literal(std::string_view word) {
    if (static_cast<std::size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    return true;
  }

  bool eat(char c) {
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }

  // Streamed chunks are compact: one compare when there is no whitespace.
  void ws() {
    if (p_ != end_ && static_cast<unsigned char>(*p_) <= ' ') skip_ws();
  }

  [[gnu::noinline]] void skip_ws() {
    while (p_ != end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }

  const char* p_;
  const char* end_;
};

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
    if (event.type == "message") {
      std::string_view content;
      if (match_frame(event.data, content)) {
        if (!content.empty()) out.emplace_back(TextDelta{std::string(content)});
        return;
      }
      std::optional<std::string_view> finish;
      std::optional<Usage> usage;
      if (ChunkScan(event.data).run(content, finish, usage)) {
        if (content.data() != nullptr && !finish && !usage) learn_frame(event.data, content);
        if (!content.empty()) out.emplace_back(TextDelta{std::string(content)});
        if (finish) out.emplace_back(finish_of(*finish));
        if (usage) out.emplace_back(*usage);
        return;
      }
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
  // The chunks of one answer differ in their content only: id, object, created, model,
  // fingerprint, the choice and the rest of the delta repeat byte for byte. The last content
  // chunk the scan accepted is kept as a frame (its bytes up to and including the content's
  // opening quote, then from the closing quote on). A chunk that is that frame around an
  // escape-free string says the same with another content: it is read with two comparisons and
  // a scan of the content alone.
  bool match_frame(std::string_view text, std::string_view& content) const {
    if (frame_.empty() || text.size() < frame_.size()) return false;
    const std::string_view frame(frame_);
    if (!text.starts_with(frame.substr(0, frame_split_)) ||
        !text.ends_with(frame.substr(frame_split_))) {
      return false;
    }
    const std::string_view middle = text.substr(frame_split_, text.size() - frame_.size());
    if (!ChunkScan::plain_string_body(middle)) return false;
    content = middle;
    return true;
  }

  void learn_frame(std::string_view text, std::string_view content) {
    const auto at = static_cast<std::size_t>(content.data() - text.data());
    const std::string_view tail = text.substr(at + content.size());
    // Sized exactly: an idle stream keeps its frame (no doubling on the append).
    if (frame_.capacity() < at + tail.size()) {
      std::string().swap(frame_);
      frame_.reserve(at + tail.size());
    }
    frame_.assign(text.substr(0, at));
    frame_.append(tail);
    frame_split_ = at;
  }

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
      out.emplace_back(finish_of(*reason));
    }
  }

  std::string frame_;
  std::size_t frame_split_ = 0;
};

}  // namespace

std::unique_ptr<Decoder> make_openai_chat_decoder(std::size_t max_event_bytes) {
  return std::make_unique<OpenAiChatDecoder>(max_event_bytes);
}

}  // namespace chatstream::providers::dialect::detail
