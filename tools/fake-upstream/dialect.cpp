#include "dialect.hpp"

#include "json_text.hpp"

namespace chatstream::fake_upstream {

std::string_view stream_content_type(Provider p) {
  switch (p) {
    case Provider::ollama:
      return "application/x-ndjson";
    case Provider::openai:
    case Provider::anthropic:
    case Provider::plain_sse:
      break;
  }
  return "text/event-stream; charset=utf-8";
}

std::string stream_head(const StreamContext& c) {
  switch (c.provider) {
    case Provider::openai:
      return detail::openai_head(c);
    case Provider::anthropic:
      return detail::anthropic_head(c);
    case Provider::ollama:
    case Provider::plain_sse:
      break;
  }
  return {};
}

void append_stream_token(std::string& out, const StreamContext& c, std::size_t index) {
  switch (c.provider) {
    case Provider::openai:
      return detail::openai_token(out, c, index);
    case Provider::anthropic:
      return detail::anthropic_token(out, c, index);
    case Provider::ollama:
      return detail::ollama_token(out, c, index);
    case Provider::plain_sse:
      return detail::plain_token(out, c, index);
  }
}

std::string stream_malformed(const StreamContext& c) {
  switch (c.provider) {
    case Provider::openai:
      return detail::openai_malformed(c);
    case Provider::anthropic:
      return detail::anthropic_malformed(c);
    case Provider::ollama:
      return detail::ollama_malformed(c);
    case Provider::plain_sse:
      break;
  }
  return "data: {\"index\":\n\n";
}

std::string stream_tail(const StreamContext& c, std::size_t sent) {
  switch (c.provider) {
    case Provider::openai:
      return detail::openai_tail(c, sent);
    case Provider::anthropic:
      return detail::anthropic_tail(c, sent);
    case Provider::ollama:
      return detail::ollama_tail(c, sent);
    case Provider::plain_sse:
      return detail::plain_tail(c, sent);
  }
  return {};
}

std::string complete_body(const StreamContext& c) {
  switch (c.provider) {
    case Provider::openai:
    case Provider::plain_sse:
      return detail::openai_complete(c);
    case Provider::anthropic:
      return detail::anthropic_complete(c);
    case Provider::ollama:
      return detail::ollama_complete(c);
  }
  return {};
}

std::string models_body(Provider p) {
  switch (p) {
    case Provider::anthropic:
      return R"({"data":[{"type":"model","id":"fake-claude","display_name":"Fake Claude",)"
             R"("created_at":"2025-01-01T00:00:00Z"}],"has_more":false,)"
             R"("first_id":"fake-claude","last_id":"fake-claude"})";
    case Provider::ollama:
      return R"({"models":[{"name":"fake-llama:latest","model":"fake-llama:latest",)"
             R"("modified_at":"2025-01-01T00:00:00.000000000Z","size":1000,)"
             R"("digest":"0000000000000000000000000000000000000000000000000000000000000000",)"
             R"("details":{"parent_model":"","format":"gguf","family":"llama",)"
             R"("families":["llama"],"parameter_size":"1B","quantization_level":"Q4_0"}}]})";
    case Provider::openai:
    case Provider::plain_sse:
      break;
  }
  return R"({"object":"list","data":[{"id":"fake-gpt","object":"model","created":1735689600,)"
         R"("owned_by":"fake-upstream"},{"id":"fake-gpt-mini","object":"model",)"
         R"("created":1735689600,"owned_by":"fake-upstream"}]})";
}

Reply error_reply(Provider p, unsigned status, std::optional<std::uint32_t> retry_after,
                  std::string_view message, std::string_view model, std::string_view request_id) {
  Reply r;
  switch (p) {
    case Provider::anthropic:
      r = detail::anthropic_error(status, message, model, request_id);
      r.headers.emplace_back("request-id", request_id);
      break;
    case Provider::ollama:
      r = detail::ollama_error(status, message, model);
      break;
    case Provider::openai:
    case Provider::plain_sse:
      r = detail::openai_error(status, message, model);
      r.headers.emplace_back("x-request-id", request_id);
      break;
  }
  r.status = status;
  const bool retryable = status == 408 || status == 409 || status == 429 || status >= 500;
  if (retry_after || status == 429) {
    const std::uint32_t s = retry_after.value_or(1);
    r.headers.emplace_back("retry-after", std::to_string(s));
    if (p == Provider::openai) r.headers.emplace_back("retry-after-ms", std::to_string(s * 1000));
  }
  if (p != Provider::ollama) r.headers.emplace_back("x-should-retry", retryable ? "true" : "false");
  return r;
}

std::string_view reason_phrase(unsigned status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    case 529:
      return "Overloaded";
    default:
      return "Status";
  }
}

std::vector<std::string_view> split_frames(std::string_view body, bool ndjson) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  bool line_empty = true;  // nothing yet on the current line
  for (std::size_t i = 0; i < body.size(); ++i) {
    const char ch = body[i];
    if (ch != '\n' && ch != '\r') {
      line_empty = false;
      continue;
    }
    if (ch == '\r' && i + 1 < body.size() && body[i + 1] == '\n') ++i;  // CRLF is one line end
    if (ndjson || line_empty) {
      out.push_back(body.substr(start, i + 1 - start));
      start = i + 1;
    }
    line_empty = true;
  }
  if (start < body.size()) out.push_back(body.substr(start));
  return out;
}

std::string_view fixture_content_type(std::string_view name) {
  auto ends_with = [name](std::string_view suffix) {
    return name.size() >= suffix.size() && name.substr(name.size() - suffix.size()) == suffix;
  };
  if (ends_with(".sse")) return "text/event-stream; charset=utf-8";
  if (ends_with(".ndjson")) return "application/x-ndjson";
  if (ends_with(".json")) return "application/json";
  return "application/octet-stream";
}

}  // namespace chatstream::fake_upstream
