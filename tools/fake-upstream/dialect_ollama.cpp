// Ollama `/api/chat`: NDJSON lines (Go encoding/json escaping, RFC 3339 nanosecond
// timestamps, durations in nanoseconds) and `{"error":"…"}` bodies. Also the plain SSE stream
// of `GET /sse`.
#include <cstdio>
#include <ctime>
#include <string>

#include "dialect.hpp"
#include "json_text.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream::detail {
namespace {

void append_rfc3339_now(std::string& out) {
  const auto now = std::chrono::system_clock::now();
  const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now.time_since_epoch());
  const std::time_t secs = static_cast<std::time_t>(ns.count() / 1'000'000'000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[64];
  const auto frac = static_cast<long long>(ns.count() % 1'000'000'000);
  const int n =
      std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
  out.append(buf, static_cast<std::size_t>(n > 0 ? n : 0));
}

void line_prefix(std::string& out, const StreamContext& c) {
  out.append("{\"model\":");
  append_json_string(out, c.model, true);
  out.append(",\"created_at\":\"");
  append_rfc3339_now(out);
  out.append("\",\"message\":{\"role\":\"assistant\",\"content\":");
}

void final_fields(std::string& out, const StreamContext& c, std::size_t sent) {
  const auto total = std::chrono::duration_cast<std::chrono::nanoseconds>(
                         std::chrono::system_clock::now() - c.started)
                         .count();
  const long long t = total > 0 ? total : 1;
  out.append("\"done\":true,\"done_reason\":\"").append(c.finish).append("\"");
  out.append(",\"total_duration\":").append(std::to_string(t));
  out.append(",\"load_duration\":").append(std::to_string(t / 10));
  out.append(",\"prompt_eval_count\":").append(std::to_string(c.prompt_tokens));
  out.append(",\"prompt_eval_duration\":").append(std::to_string(t / 10));
  out.append(",\"eval_count\":").append(std::to_string(sent));
  out.append(",\"eval_duration\":").append(std::to_string(t - t / 5)).append("}\n");
}

}  // namespace

void ollama_token(std::string& out, const StreamContext& c, std::size_t index) {
  line_prefix(out, c);
  std::string text;
  append_token(text, c.seed, index);
  append_json_string(out, text, true);
  out.append("},\"done\":false}\n");
}

std::string ollama_malformed(const StreamContext& c) {
  std::string out;
  line_prefix(out, c);
  out.append("\"trunc\n");
  return out;
}

std::string ollama_tail(const StreamContext& c, std::size_t sent) {
  std::string out;
  line_prefix(out, c);
  out.append("\"\"},");
  final_fields(out, c, sent);
  return out;
}

std::string ollama_complete(const StreamContext& c) {
  std::string out;
  line_prefix(out, c);
  append_json_string(out, generated_text(c.seed, c.tokens), true);
  out.append("},");
  final_fields(out, c, c.tokens);
  out.pop_back();  // the non-streaming body is one object without the trailing newline
  return out;
}

Reply ollama_error(unsigned status, std::string_view message, std::string_view model) {
  std::string text(message);
  if (text.empty()) {
    switch (status) {
      case 401:
        text = "unauthorized";
        break;
      case 404:
        text = "model \"" + std::string(model) + "\" not found, try pulling it first";
        break;
      case 429:
        text = "server busy, please try again.  maximum pending requests exceeded";
        break;
      case 503:
      case 529:
        text = "server overloaded, please try again later";
        break;
      default:
        text = status >= 500 ? "an error was encountered while running the model"
                             : std::string(reason_phrase(status));
        break;
    }
  }
  Reply r;
  r.content_type = "application/json; charset=utf-8";
  r.body = "{\"error\":";
  append_json_string(r.body, text, true);
  r.body.append("}");
  return r;
}

void plain_token(std::string& out, const StreamContext& c, std::size_t index) {
  out.append("id: ").append(std::to_string(index + 1)).append("\ndata: {\"index\":");
  out.append(std::to_string(index)).append(",\"text\":");
  std::string text;
  append_token(text, c.seed, index);
  append_json_string(out, text);
  out.append("}\n\n");
}

std::string plain_tail(const StreamContext&, std::size_t sent) {
  return "event: done\ndata: {\"tokens\":" + std::to_string(sent) + "}\n\n";
}

}  // namespace chatstream::fake_upstream::detail
