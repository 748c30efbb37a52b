#include "api/openai/chat_request.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <array>
#include <cmath>
#include <optional>

namespace chatstream::api::openai {
namespace json = boost::json;

namespace {

// Parameters that change the answer's shape in ways the gateway cannot honour: refused with
// a clear 400 when set to anything but their neutral value.
constexpr std::array<std::string_view, 3> kRefusedWhenTrue = {"logprobs", "audio", "prediction"};

std::string_view kind_name(const json::value& v) {
  switch (v.kind()) {
    case json::kind::null:
      return "null";
    case json::kind::bool_:
      return "a boolean";
    case json::kind::string:
      return "a string";
    case json::kind::array:
      return "an array";
    case json::kind::object:
      return "an object";
    default:
      return "a number";
  }
}

ApiError invalid_type(const std::string& param, std::string_view expected, const json::value& v) {
  return invalid_request("Invalid type for '" + param + "': expected " + std::string(expected) +
                             ", but got " + std::string(kind_name(v)) + " instead.",
                         param, "invalid_type");
}

std::optional<double> as_number(const json::value& v) {
  if (v.is_double()) return v.get_double();
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  return std::nullopt;
}

// Reads an optional number in [lo, hi]; nullopt error = fine.
std::optional<ApiError> read_range(const json::object& o, const char* key, double lo, double hi,
                                   std::optional<double>& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  auto n = as_number(*v);
  if (!n) return invalid_type(key, "a decimal", *v);
  if (!std::isfinite(*n) || *n < lo || *n > hi) {
    return invalid_request("Invalid '" + std::string(key) + "': must be between " +
                               json::serialize(json::value(lo)) + " and " +
                               json::serialize(json::value(hi)) + ".",
                           key, "invalid_value");
  }
  out = *n;
  return std::nullopt;
}

std::optional<ApiError> read_max_tokens(const json::object& o, const char* key,
                                        std::optional<int>& out) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return std::nullopt;
  std::int64_t n = 0;
  if (v->is_int64()) {
    n = v->get_int64();
  } else if (v->is_uint64()) {
    n = static_cast<std::int64_t>(std::min<std::uint64_t>(v->get_uint64(), 1u << 30));
  } else {
    return invalid_type(key, "an integer", *v);
  }
  if (n < 1) {
    return invalid_request("Invalid '" + std::string(key) + "': must be at least 1.", key,
                           "invalid_value");
  }
  out = static_cast<int>(std::min<std::int64_t>(n, 1 << 30));
  return std::nullopt;
}

std::optional<ApiError> read_stop(const json::object& o, std::vector<std::string>& out) {
  const json::value* v = o.if_contains("stop");
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) {
    out.emplace_back(v->get_string());
    return std::nullopt;
  }
  if (!v->is_array()) return invalid_type("stop", "a string or an array of strings", *v);
  for (const auto& item : v->get_array()) {
    if (!item.is_string()) return invalid_type("stop", "a string or an array of strings", *v);
    out.emplace_back(item.get_string());
  }
  if (out.size() > 4) {
    return invalid_request("Invalid 'stop': at most 4 sequences are allowed.", "stop",
                           "invalid_value");
  }
  return std::nullopt;
}

// Text of a message's `content`: a string, null, or an array of {"type":"text","text":...}
// parts (joined with a newline).
std::optional<ApiError> read_content(const json::value* v, const std::string& param,
                                     std::string& out) {
  if (v == nullptr || v->is_null()) return std::nullopt;
  if (v->is_string()) {
    out = v->get_string();
    return std::nullopt;
  }
  if (!v->is_array()) return invalid_type(param, "a string or an array of content parts", *v);
  const auto& parts = v->get_array();
  for (std::size_t i = 0; i < parts.size(); ++i) {
    const std::string where = param + "[" + std::to_string(i) + "]";
    const json::object* part = parts[i].if_object();
    if (part == nullptr) return invalid_type(where, "an object", parts[i]);
    const json::value* type = part->if_contains("type");
    const json::value* text = part->if_contains("text");
    const bool is_text = type != nullptr && type->is_string() &&
                         (type->get_string() == "text" || type->get_string() == "input_text");
    if (!is_text) {
      return invalid_request("Only text content parts are supported by this gateway.",
                             where + ".type", "unsupported_content_type");
    }
    if (text == nullptr || !text->is_string()) {
      return invalid_request("A text content part needs a string 'text'.", where + ".text",
                             "invalid_type");
    }
    if (i > 0) out += '\n';
    out += text->get_string();
  }
  return std::nullopt;
}

std::optional<ApiError> read_message(const json::value& item, std::size_t index,
                                     ParsedChatRequest& out) {
  const std::string param = "messages[" + std::to_string(index) + "]";
  const json::object* m = item.if_object();
  if (m == nullptr) return invalid_type(param, "an object", item);
  const json::value* role_v = m->if_contains("role");
  if (role_v == nullptr || !role_v->is_string()) {
    return invalid_request("Missing or invalid 'role'.", param + ".role", "invalid_value");
  }
  const std::string_view role = role_v->get_string();
  if (role != "system" && role != "developer" && role != "user" && role != "assistant" &&
      role != "tool") {
    return invalid_request("Invalid value for 'role': '" + std::string(role) +
                               "'. Supported: system, developer, user, assistant, tool.",
                           param + ".role", "invalid_value");
  }
  providers::ChatMessage msg;
  if (auto err = read_content(m->if_contains("content"), param + ".content", msg.content)) {
    return err;
  }
  if (role == "system" || role == "developer") {
    // Instructions go to the provider's system prompt (Anthropic has no system turns).
    if (!out.request.system_prompt.empty()) out.request.system_prompt += "\n\n";
    out.request.system_prompt += msg.content;
    return std::nullopt;
  }
  if (const json::value* calls = m->if_contains("tool_calls");
      calls != nullptr && !calls->is_null() && !(calls->is_array() && calls->get_array().empty())) {
    // TODO(gateway): pass assistant tool calls through once ChatMessage can carry them.
    return invalid_request("Assistant messages with 'tool_calls' are not supported yet.",
                           param + ".tool_calls", "unsupported_parameter");
  }
  msg.role = std::string(role);
  if (const json::value* id = m->if_contains("tool_call_id"); id != nullptr && id->is_string()) {
    msg.tool_call_id = id->get_string();
  }
  if (const json::value* name = m->if_contains("name"); name != nullptr && name->is_string()) {
    msg.name = name->get_string();
  }
  out.request.messages.push_back(std::move(msg));
  return std::nullopt;
}

std::optional<ApiError> read_messages(const json::object& o, ParsedChatRequest& out) {
  const json::value* v = o.if_contains("messages");
  if (v == nullptr) {
    return invalid_request("Missing required parameter: 'messages'.", "messages",
                           "missing_required_parameter");
  }
  if (!v->is_array()) return invalid_type("messages", "an array", *v);
  const auto& arr = v->get_array();
  if (arr.empty()) {
    return invalid_request("Invalid 'messages': empty array. Expected at least one message.",
                           "messages", "empty_array");
  }
  out.request.messages.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    if (auto err = read_message(arr[i], i, out)) return err;
  }
  if (out.request.messages.empty()) {
    return invalid_request("'messages' must contain at least one user message.", "messages",
                           "invalid_value");
  }
  return std::nullopt;
}

std::optional<ApiError> read_tools(const json::object& o, providers::ChatRequest& r) {
  if (const json::value* tools = o.if_contains("tools"); tools != nullptr && !tools->is_null()) {
    if (!tools->is_array()) return invalid_type("tools", "an array", *tools);
    if (!tools->get_array().empty()) r.tools_json = json::serialize(*tools);
  }
  if (const json::value* choice = o.if_contains("tool_choice");
      choice != nullptr && !choice->is_null()) {
    if (!choice->is_string() && !choice->is_object()) {
      return invalid_type("tool_choice", "a string or an object", *choice);
    }
    r.tool_choice_json = json::serialize(*choice);
  }
  return std::nullopt;
}

std::optional<ApiError> read_flags(const json::object& o, ParsedChatRequest& out) {
  if (const json::value* s = o.if_contains("stream"); s != nullptr && !s->is_null()) {
    if (!s->is_bool()) return invalid_type("stream", "a boolean", *s);
    out.stream = s->get_bool();
  }
  if (const json::value* so = o.if_contains("stream_options"); so != nullptr && !so->is_null()) {
    if (!so->is_object()) return invalid_type("stream_options", "an object", *so);
    if (const json::value* iu = so->get_object().if_contains("include_usage");
        iu != nullptr && !iu->is_null()) {
      if (!iu->is_bool()) return invalid_type("stream_options.include_usage", "a boolean", *iu);
      out.include_usage = iu->get_bool();
    }
  }
  if (const json::value* n = o.if_contains("n"); n != nullptr && !n->is_null()) {
    if (!(n->is_int64() && n->get_int64() == 1) && !(n->is_uint64() && n->get_uint64() == 1)) {
      return invalid_request("Only n = 1 is supported by this gateway.", "n", "unsupported_value");
    }
  }
  for (std::string_view key : kRefusedWhenTrue) {
    const json::value* v = o.if_contains(key);
    if (v == nullptr || v->is_null() || (v->is_bool() && !v->get_bool())) continue;
    return invalid_request("'" + std::string(key) + "' is not supported by this gateway.",
                           std::string(key), "unsupported_parameter");
  }
  if (const json::value* user = o.if_contains("user"); user != nullptr && !user->is_null()) {
    if (!user->is_string()) return invalid_type("user", "a string", *user);
    out.request.user = user->get_string();
  }
  return std::nullopt;
}

std::optional<ApiError> read_sampling(const json::object& o, providers::ChatRequest& r) {
  if (auto err = read_range(o, "temperature", 0.0, 2.0, r.temperature)) return err;
  if (auto err = read_range(o, "top_p", 0.0, 1.0, r.top_p)) return err;
  if (auto err = read_max_tokens(o, "max_tokens", r.max_tokens)) return err;
  std::optional<int> max_completion;
  if (auto err = read_max_tokens(o, "max_completion_tokens", max_completion)) return err;
  if (max_completion) r.max_tokens = max_completion;  // the newer name wins
  return read_stop(o, r.stop);
}

}  // namespace

std::variant<ParsedChatRequest, ApiError> parse_chat_request(std::string_view body) {
  boost::system::error_code ec;
  // The tree lives for this call only (everything kept is copied out): its nodes come from one
  // arena, the first 4 KiB of it on the stack, instead of an allocation each.
  std::array<unsigned char, 4096> arena_block;
  json::monotonic_resource arena(arena_block.data(), arena_block.size());
  json::value root = json::parse(body, ec, &arena);
  if (ec) {
    return invalid_request(
        "We could not parse the JSON body of your request. Expected a JSON object.", {},
        "invalid_json");
  }
  const json::object* o = root.if_object();
  if (o == nullptr) {
    return invalid_request("The request body must be a JSON object.", {}, "invalid_json");
  }
  ParsedChatRequest out;
  const json::value* model = o->if_contains("model");
  if (model == nullptr || model->is_null()) {
    return invalid_request("You must provide a model parameter.", "model",
                           "missing_required_parameter");
  }
  if (!model->is_string() || model->get_string().empty()) {
    return invalid_type("model", "a non-empty string", *model);
  }
  out.model = model->get_string();
  if (auto err = read_messages(*o, out)) return *err;
  if (auto err = read_flags(*o, out)) return *err;
  if (auto err = read_sampling(*o, out.request)) return *err;
  if (auto err = read_tools(*o, out.request)) return *err;
  if (!out.stream) out.include_usage = false;
  return out;
}

}  // namespace chatstream::api::openai
