#include "api/json.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "http/error.hpp"
#include "util/time.hpp"

namespace chatstream::api {
namespace json = boost::json;

namespace {

json::value opt(const std::optional<std::string>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}
json::value opt(const std::optional<std::int64_t>& v) {
  return v ? json::value(*v) : json::value(nullptr);
}

}  // namespace

json::object to_json(const store::Conversation& c) {
  json::object o;
  o["id"] = c.id;
  o["title"] = c.title;
  o["model"] = c.model;
  o["system_prompt"] = c.system_prompt;
  o["current_leaf_id"] = opt(c.current_leaf_id);
  o["created_at"] = util::format_rfc3339_ms(c.created_at_ms);
  o["updated_at"] = util::format_rfc3339_ms(c.updated_at_ms);
  return o;
}

json::object to_json(const store::Message& m) {
  json::object o;
  o.reserve(18);  // every key below: no rehash while it fills
  o["id"] = m.id;
  o["conversation_id"] = m.conversation_id;
  o["parent_id"] = opt(m.parent_id);
  o["role"] = store::to_string(m.role);
  o["content"] = m.content;
  o["status"] = store::to_string(m.status);
  o["model"] = m.model;
  o["provider"] = m.provider;
  o["finish_reason"] = opt(m.finish_reason);
  if (m.prompt_tokens || m.completion_tokens) {
    o["usage"] = json::object{{"prompt_tokens", m.prompt_tokens.value_or(0)},
                              {"completion_tokens", m.completion_tokens.value_or(0)}};
  } else {
    o["usage"] = nullptr;
  }
  o["ttft_ms"] = opt(m.ttft_ms);
  o["duration_ms"] = opt(m.duration_ms);
  if (m.error_message || m.error_code) {
    o["error"] = json::object{{"message", m.error_message.value_or("")},
                              {"code", m.error_code.value_or("")}};
  } else {
    o["error"] = nullptr;
  }
  o["delta_seq"] = m.delta_seq;
  o["created_at"] = util::format_rfc3339_ms(m.created_at_ms);
  o["updated_at"] = util::format_rfc3339_ms(m.updated_at_ms);
  return o;
}

http::Response json_response(unsigned status, const json::value& body) {
  http::Response r;
  r.status = status;
  r.body = json::serialize(body);
  r.set_header("Cache-Control", "no-store");
  return r;
}

std::variant<json::object, http::Response> parse_object_body(const http::Request& req) {
  if (req.body.empty()) return json::object{};
  boost::system::error_code ec;
  json::value v = json::parse(req.body, ec);
  if (ec) {
    return http::json_error(400, "invalid_json",
                            "The request body is not valid JSON: " + ec.message());
  }
  if (!v.is_object()) {
    return http::json_error(400, "invalid_json", "The request body must be a JSON object.");
  }
  return std::move(v.as_object());
}

std::optional<http::Response> optional_string(const json::object& body, std::string_view field,
                                              std::optional<std::string>& out,
                                              std::size_t max_bytes) {
  auto it = body.find(field);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  if (!it->value().is_string()) {
    return http::json_error(422, "invalid_field", std::string(field) + " must be a string.");
  }
  const auto& s = it->value().as_string();
  if (s.size() > max_bytes) {
    return http::json_error(
        413, "field_too_long",
        std::string(field) + " is longer than " + std::to_string(max_bytes) + " bytes.");
  }
  out = std::string(s);
  return std::nullopt;
}

std::optional<http::Response> optional_count(const json::object& body, std::string_view field,
                                             std::optional<std::uint64_t>& out) {
  auto it = body.find(field);
  if (it == body.end() || it->value().is_null()) return std::nullopt;
  const auto& v = it->value();
  if (v.is_uint64()) {
    out = v.as_uint64();
  } else if (v.is_int64() && v.as_int64() >= 0) {
    out = static_cast<std::uint64_t>(v.as_int64());
  } else {
    return http::json_error(422, "invalid_field",
                            std::string(field) + " must be a non-negative integer.");
  }
  return std::nullopt;
}

std::string user_of(const http::Request& req) {
  if (!req.user_id.empty()) return req.user_id;
  return std::string(store::default_user_id);
}

http::Response not_found(std::string_view what) {
  return http::json_error(404, "not_found", std::string(what) + " not found.");
}

}  // namespace chatstream::api
