// Request builders for the OpenAI, Anthropic and Ollama wire formats; retry policy.
#include "providers/wire_request.hpp"

#include <algorithm>
#include <array>
#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>
#include <cctype>
#include <cmath>
#include <ctime>

namespace chatstream::providers {
namespace {

namespace json = boost::json;

std::optional<json::value> parse_raw(const std::string& raw) {
  if (raw.empty()) return std::nullopt;
  boost::system::error_code ec;
  json::value v = json::parse(raw, ec);
  if (ec) return std::nullopt;
  return v;
}

json::array string_array(const std::vector<std::string>& v, json::storage_ptr sp = {}) {
  json::array a(std::move(sp));
  for (const auto& s : v) a.emplace_back(s);
  return a;
}

json::object message(std::string_view role, const std::string& content, json::storage_ptr sp = {}) {
  json::object m(2, std::move(sp));
  m["role"] = role;
  m["content"] = content;
  return m;
}

std::string join_url(const std::string& base, std::string_view path) {
  std::string b = base;
  while (!b.empty() && b.back() == '/') b.pop_back();
  return b + std::string(path);
}

}  // namespace

std::string openai_chat_body(const ChatRequest& r, bool include_usage) {
  // The tree is only serialized: its nodes come from one arena, the first 4 KiB of it on the
  // stack, instead of an allocation each.
  std::array<unsigned char, 4096> arena_block;
  json::monotonic_resource arena(arena_block.data(), arena_block.size());
  const json::storage_ptr sp(&arena);
  json::object body(12, sp);
  body["model"] = r.model;
  json::array messages(sp);
  messages.reserve(r.messages.size() + 1);
  if (!r.system_prompt.empty()) messages.emplace_back(message("system", r.system_prompt, sp));
  for (const auto& m : r.messages) {
    json::object o = message(m.role, m.content, sp);
    if (!m.tool_call_id.empty()) o["tool_call_id"] = m.tool_call_id;
    if (!m.name.empty()) o["name"] = m.name;
    messages.emplace_back(std::move(o));
  }
  body["messages"] = std::move(messages);
  body["stream"] = true;
  if (include_usage) body["stream_options"] = json::object({{"include_usage", true}}, sp);
  if (r.temperature) body["temperature"] = *r.temperature;
  if (r.top_p) body["top_p"] = *r.top_p;
  if (r.max_tokens) body["max_tokens"] = *r.max_tokens;
  if (!r.stop.empty()) body["stop"] = string_array(r.stop, sp);
  if (auto tools = parse_raw(r.tools_json)) body["tools"] = std::move(*tools);
  if (auto choice = parse_raw(r.tool_choice_json)) body["tool_choice"] = std::move(*choice);
  if (!r.user.empty()) body["user"] = r.user;
  return json::serialize(body);
}

std::string anthropic_messages_body(const ChatRequest& r, int default_max_tokens) {
  json::object body;
  body["model"] = r.model;
  body["max_tokens"] = r.max_tokens.value_or(default_max_tokens);
  std::string system = r.system_prompt;
  json::array messages;
  for (const auto& m : r.messages) {
    if (m.role == "system") {
      system += (system.empty() ? "" : "\n\n") + m.content;
      continue;
    }
    const std::string role = m.role == "assistant" ? "assistant" : "user";
    json::object block;
    if (m.role == "tool") {
      block = {{"type", "tool_result"}, {"tool_use_id", m.tool_call_id}, {"content", m.content}};
    } else {
      block = {{"type", "text"}, {"text", m.content}};
    }
    // The API wants alternating roles: merge consecutive messages of one role.
    if (!messages.empty() && messages.back().as_object().at("role").as_string() == role) {
      messages.back().as_object()["content"].as_array().emplace_back(std::move(block));
    } else {
      messages.emplace_back(
          json::object{{"role", role}, {"content", json::array{std::move(block)}}});
    }
  }
  if (!system.empty()) body["system"] = system;
  body["messages"] = std::move(messages);
  body["stream"] = true;
  if (r.temperature) body["temperature"] = *r.temperature;
  if (r.top_p) body["top_p"] = *r.top_p;
  if (!r.stop.empty()) body["stop_sequences"] = string_array(r.stop);
  if (auto tools = parse_raw(r.tools_json)) body["tools"] = std::move(*tools);
  if (auto choice = parse_raw(r.tool_choice_json)) body["tool_choice"] = std::move(*choice);
  if (!r.user.empty()) body["metadata"] = json::object{{"user_id", r.user}};
  return json::serialize(body);
}

std::string ollama_chat_body(const ChatRequest& r) {
  json::object body;
  body["model"] = r.model;
  json::array messages;
  if (!r.system_prompt.empty()) messages.emplace_back(message("system", r.system_prompt));
  for (const auto& m : r.messages) messages.emplace_back(message(m.role, m.content));
  body["messages"] = std::move(messages);
  body["stream"] = true;
  json::object options;
  if (r.temperature) options["temperature"] = *r.temperature;
  if (r.top_p) options["top_p"] = *r.top_p;
  if (r.max_tokens) options["num_predict"] = *r.max_tokens;
  if (!r.stop.empty()) options["stop"] = string_array(r.stop);
  if (!options.empty()) body["options"] = std::move(options);
  if (auto tools = parse_raw(r.tools_json)) body["tools"] = std::move(*tools);
  return json::serialize(body);
}

HttpRequest build_upstream_request(const ProviderConfig& config, const ChatRequest& request,
                                   bool include_usage) {
  HttpRequest http;
  http.method = "POST";
  http.request_id = request.request_id;
  http.headers.push_back({"Content-Type", "application/json"});
  if (config.kind == "anthropic") {
    const bool has_v1 = config.base_url.ends_with("/v1");
    http.url = join_url(config.base_url, has_v1 ? "/messages" : "/v1/messages");
    http.headers.push_back({"Accept", "text/event-stream"});
    if (!config.api_key.empty()) http.headers.push_back({"x-api-key", config.api_key.value});
    http.headers.push_back({"anthropic-version", config.anthropic_version});
    http.body = anthropic_messages_body(request);
  } else if (config.kind == "ollama") {
    http.url = join_url(config.base_url, "/api/chat");
    http.headers.push_back({"Accept", "application/x-ndjson"});
    if (!config.api_key.empty())
      http.headers.push_back({"Authorization", "Bearer " + config.api_key.value});
    http.body = ollama_chat_body(request);
  } else {
    http.url = join_url(config.base_url, "/chat/completions");
    http.headers.push_back({"Accept", "text/event-stream"});
    if (!config.api_key.empty())
      http.headers.push_back({"Authorization", "Bearer " + config.api_key.value});
    http.body = openai_chat_body(request, include_usage);
  }
  for (const auto& [name, value] : config.headers) http.headers.push_back({name, value});
  return http;
}

bool rejects_stream_options(const StreamError& error) {
  if (error.kind != ErrorKind::http_status ||
      (error.http_status != 400 && error.http_status != 422))
    return false;
  std::string m = error.message;
  std::transform(m.begin(), m.end(), m.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return m.find("stream_options") != std::string::npos ||
         m.find("include_usage") != std::string::npos;
}

std::string redact(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  std::size_t pos = 0;
  while ((pos = text.find(secret, pos)) != std::string::npos) {
    text.replace(pos, secret.size(), "[redacted]");
    pos += 10;
  }
  return text;
}

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view retry_after_ms, std::string_view retry_after,
    std::chrono::system_clock::time_point now) {
  const auto number = [](std::string_view s) -> std::optional<double> {
    if (s.empty()) return std::nullopt;
    try {
      std::size_t used = 0;
      const double v = std::stod(std::string(s), &used);
      if (used != s.size() || !std::isfinite(v) || v < 0) return std::nullopt;
      return v;
    } catch (const std::exception&) {
      return std::nullopt;
    }
  };
  if (auto ms = number(retry_after_ms))
    return std::chrono::milliseconds(static_cast<std::int64_t>(*ms));
  if (auto s = number(retry_after))
    return std::chrono::milliseconds(static_cast<std::int64_t>(*s * 1000));
  if (!retry_after.empty()) {  // IMF-fixdate: "Wed, 21 Oct 2015 07:28:00 GMT"
    std::tm tm{};
    const std::string text(retry_after);
    if (strptime(text.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
      const auto at = std::chrono::system_clock::from_time_t(timegm(&tm));
      return std::max(std::chrono::milliseconds(0),
                      std::chrono::duration_cast<std::chrono::milliseconds>(at - now));
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> retry_delay(
    const RetryConfig& config, int attempt, std::optional<std::chrono::milliseconds> retry_after,
    double random01) {
  if (attempt >= config.max_retries) return std::nullopt;
  if (retry_after) {
    if (*retry_after > config.max_retry_after) return std::nullopt;
    return *retry_after;
  }
  const double base = static_cast<double>(config.base_delay.count()) * std::pow(2.0, attempt);
  const double capped = std::min(base, static_cast<double>(config.max_delay.count()));
  // "Equal jitter": half fixed, half random, so retries spread but never collapse to 0.
  return std::chrono::milliseconds(static_cast<std::int64_t>(capped * (0.5 + 0.5 * random01)));
}

}  // namespace chatstream::providers
