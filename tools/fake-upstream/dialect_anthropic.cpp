// Anthropic Messages: `event:` + `data:` SSE (message_start, content_block_start, ping,
// content_block_delta…, content_block_stop, message_delta, message_stop), the `message` JSON
// body, and `{"type":"error","error":{type,message},"request_id"}` error bodies.
#include <string>

#include "dialect.hpp"
#include "json_text.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream::detail {
namespace {

std::string_view stop_reason(const StreamContext& c) {
  return c.finish == "length" ? "max_tokens" : "end_turn";
}

void event(std::string& out, std::string_view name) {
  out.append("event: ").append(name).append("\ndata: ");
}

}  // namespace

std::string anthropic_head(const StreamContext& c) {
  std::string out;
  event(out, "message_start");
  out.append("{\"type\":\"message_start\",\"message\":{\"id\":");
  append_json_string(out, c.id);
  out.append(",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  append_json_string(out, c.model);
  out.append(
      ",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
  out.append(std::to_string(c.prompt_tokens));
  out.append(
      ",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":1,"
      "\"service_tier\":\"standard\"}}}\n\n");
  event(out, "content_block_start");
  out.append(
      "{\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\","
      "\"text\":\"\"}}\n\n");
  event(out, "ping");
  out.append("{\"type\": \"ping\"}\n\n");
  return out;
}

void anthropic_token(std::string& out, const StreamContext& c, std::size_t index) {
  event(out, "content_block_delta");
  out.append(
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":");
  std::string text;
  append_token(text, c.seed, index);
  append_json_string(out, text);
  out.append("}}\n\n");
}

std::string anthropic_malformed(const StreamContext&) {
  std::string out;
  event(out, "content_block_delta");
  out.append(
      "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\","
      "\"text\":\"trunc\n\n");
  return out;
}

std::string anthropic_tail(const StreamContext& c, std::size_t sent) {
  std::string out;
  event(out, "content_block_stop");
  out.append("{\"type\":\"content_block_stop\",\"index\":0}\n\n");
  event(out, "message_delta");
  out.append("{\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"");
  out.append(stop_reason(c));
  out.append("\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":");
  out.append(std::to_string(sent)).append("}}\n\n");
  event(out, "message_stop");
  out.append("{\"type\":\"message_stop\"}\n\n");
  return out;
}

std::string anthropic_complete(const StreamContext& c) {
  std::string out = "{\"id\":";
  append_json_string(out, c.id);
  out.append(",\"type\":\"message\",\"role\":\"assistant\",\"model\":");
  append_json_string(out, c.model);
  out.append(",\"content\":[{\"type\":\"text\",\"text\":");
  append_json_string(out, generated_text(c.seed, c.tokens));
  out.append("}],\"stop_reason\":\"").append(stop_reason(c));
  out.append("\",\"stop_sequence\":null,\"usage\":{\"input_tokens\":");
  out.append(std::to_string(c.prompt_tokens));
  out.append(",\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":0,\"output_tokens\":");
  out.append(std::to_string(c.tokens)).append(",\"service_tier\":\"standard\"}}");
  return out;
}

Reply anthropic_error(unsigned status, std::string_view message, std::string_view model,
                      std::string_view request_id) {
  std::string text(message);
  std::string type;
  switch (status) {
    case 400:
      type = "invalid_request_error";
      break;
    case 401:
      type = "authentication_error";
      if (text.empty()) text = "invalid x-api-key";
      break;
    case 403:
      type = "permission_error";
      break;
    case 404:
      type = "not_found_error";
      if (text.empty()) text = "model: " + std::string(model);
      break;
    case 413:
      type = "request_too_large";
      break;
    case 429:
      type = "rate_limit_error";
      if (text.empty())
        text =
            "This request would exceed the rate limit for your organization of 5 requests per "
            "minute. Please try again later.";
      break;
    case 529:
    case 503:
      type = "overloaded_error";
      if (text.empty()) text = "Overloaded";
      break;
    default:
      type = "api_error";
      if (text.empty()) text = "Internal server error";
      break;
  }
  if (text.empty()) text = std::string(reason_phrase(status));
  Reply r;
  r.body = "{\"type\":\"error\",\"error\":{\"type\":\"" + type + "\",\"message\":";
  append_json_string(r.body, text);
  r.body.append("},\"request_id\":");
  append_json_string(r.body, request_id);
  r.body.append("}");
  return r;
}

}  // namespace chatstream::fake_upstream::detail
