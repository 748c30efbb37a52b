// OpenAI Chat Completions: `chat.completion.chunk` SSE frames ending in `data: [DONE]`, the
// `chat.completion` JSON body, and `{"error":{message,type,param,code}}` error bodies.
#include <string>

#include "dialect.hpp"
#include "json_text.hpp"
#include "textgen.hpp"

namespace chatstream::fake_upstream::detail {
namespace {

constexpr std::string_view kFingerprint = "fp_fake0a1b2c";

void chunk_prefix(std::string& out, const StreamContext& c) {
  out.append("data: {\"id\":");
  append_json_string(out, c.id);
  out.append(",\"object\":\"chat.completion.chunk\",\"created\":");
  out.append(std::to_string(c.created));
  out.append(",\"model\":");
  append_json_string(out, c.model);
  out.append(",\"system_fingerprint\":\"").append(kFingerprint).append("\",\"choices\":[");
}

void chunk_suffix(std::string& out, const StreamContext& c) {
  out.append("]");
  if (c.include_usage) out.append(",\"usage\":null");
  out.append("}\n\n");
}

void usage_object(std::string& out, std::size_t prompt, std::size_t completion) {
  out.append("{\"prompt_tokens\":").append(std::to_string(prompt));
  out.append(",\"completion_tokens\":").append(std::to_string(completion));
  out.append(",\"total_tokens\":").append(std::to_string(prompt + completion));
  out.append(",\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0}");
  out.append(",\"completion_tokens_details\":{\"reasoning_tokens\":0,\"audio_tokens\":0,");
  out.append("\"accepted_prediction_tokens\":0,\"rejected_prediction_tokens\":0}}");
}

std::string pretty_error(std::string_view message, std::string_view type,
                         std::string_view code_json) {
  std::string out = "{\n    \"error\": {\n        \"message\": ";
  append_json_string(out, message);
  out.append(",\n        \"type\": ");
  append_json_string(out, type);
  out.append(",\n        \"param\": null,\n        \"code\": ");
  out.append(code_json);
  out.append("\n    }\n}\n");
  return out;
}

}  // namespace

std::string openai_head(const StreamContext& c) {
  std::string out;
  chunk_prefix(out, c);
  out.append(
      "{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\",\"refusal\":null},"
      "\"logprobs\":null,\"finish_reason\":null}");
  chunk_suffix(out, c);
  return out;
}

void openai_token(std::string& out, const StreamContext& c, std::size_t index) {
  chunk_prefix(out, c);
  out.append("{\"index\":0,\"delta\":{\"content\":");
  std::string text;
  append_token(text, c.seed, index);
  append_json_string(out, text);
  out.append("},\"logprobs\":null,\"finish_reason\":null}");
  chunk_suffix(out, c);
}

std::string openai_malformed(const StreamContext& c) {
  std::string out;
  chunk_prefix(out, c);
  out.append("{\"index\":0,\"delta\":{\"content\":\"trunc\n\n");
  return out;
}

std::string openai_tail(const StreamContext& c, std::size_t sent) {
  std::string out;
  chunk_prefix(out, c);
  out.append("{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":");
  append_json_string(out, c.finish);
  out.append("}");
  chunk_suffix(out, c);
  if (c.include_usage) {
    chunk_prefix(out, c);
    out.append("],\"usage\":");
    usage_object(out, c.prompt_tokens, sent);
    out.append("}\n\n");
  }
  out.append("data: [DONE]\n\n");
  return out;
}

std::string openai_complete(const StreamContext& c) {
  std::string out = "{\"id\":";
  append_json_string(out, c.id);
  out.append(",\"object\":\"chat.completion\",\"created\":").append(std::to_string(c.created));
  out.append(",\"model\":");
  append_json_string(out, c.model);
  out.append(",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":");
  append_json_string(out, generated_text(c.seed, c.tokens));
  out.append(",\"refusal\":null,\"annotations\":[]},\"logprobs\":null,\"finish_reason\":");
  append_json_string(out, c.finish);
  out.append("}],\"usage\":");
  usage_object(out, c.prompt_tokens, c.tokens);
  out.append(",\"service_tier\":\"default\",\"system_fingerprint\":\"");
  out.append(kFingerprint).append("\"}");
  return out;
}

Reply openai_error(unsigned status, std::string_view message, std::string_view model) {
  Reply r;
  std::string text(message);
  std::string type = "invalid_request_error";
  std::string code = "null";
  switch (status) {
    case 401:
      if (text.empty())
        text =
            "Incorrect API key provided: sk-fake***. You can find your API key at "
            "https://platform.openai.com/account/api-keys.";
      code = "\"invalid_api_key\"";
      break;
    case 404:
      if (text.empty())
        text = "The model `" + std::string(model) +
               "` does not exist or you do not have access to it.";
      code = "\"model_not_found\"";
      break;
    case 429:
      if (text.empty())
        text = "Rate limit reached for " + std::string(model) +
               " in organization org-fake on requests per min (RPM): Limit 3, Used 3, "
               "Requested 1. Please try again later.";
      type = "requests";
      code = "\"rate_limit_exceeded\"";
      break;
    case 500:
      if (text.empty())
        text = "The server had an error while processing your request. Sorry about that!";
      type = "server_error";
      break;
    case 503:
    case 529:
      if (text.empty()) text = "The engine is currently overloaded, please try again later.";
      type = "server_error";
      break;
    default:
      if (text.empty()) text = std::string(reason_phrase(status));
      if (status >= 500) type = "server_error";
      break;
  }
  r.body = pretty_error(text, type, code);
  return r;
}

}  // namespace chatstream::fake_upstream::detail
