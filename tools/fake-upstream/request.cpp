#include "request.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include "textgen.hpp"

namespace chatstream::fake_upstream {
namespace {

namespace json = boost::json;

std::size_t count_content(const json::value& content) {
  if (const auto* s = content.if_string()) return count_words(*s);
  std::size_t n = 0;
  if (const auto* parts = content.if_array()) {
    for (const auto& part : *parts) {
      if (const auto* obj = part.if_object()) {
        if (const auto* text = obj->if_contains("text"); text && text->is_string())
          n += count_words(text->get_string());
      }
    }
  }
  return n;
}

}  // namespace

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i];
    char y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (iequals(k, name)) return v;
  return {};
}

bool Request::has_header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.first, name)) return true;
  return false;
}

ChatFields parse_chat_body(Provider p, std::string_view body) {
  ChatFields f;
  f.stream = p == Provider::ollama;
  boost::system::error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    f.error = "We could not parse the JSON body of your request.";
    return f;
  }
  const auto& obj = v.get_object();
  if (const auto* m = obj.if_contains("model"); m && m->is_string()) f.model = m->get_string();
  if (const auto* s = obj.if_contains("stream"); s && s->is_bool()) f.stream = s->get_bool();
  if (const auto* so = obj.if_contains("stream_options"); so && so->is_object()) {
    if (const auto* iu = so->get_object().if_contains("include_usage"); iu && iu->is_bool())
      f.include_usage = iu->get_bool();
  }
  if (const auto* msgs = obj.if_contains("messages"); msgs && msgs->is_array()) {
    for (const auto& m : msgs->get_array()) {
      if (const auto* mo = m.if_object())
        if (const auto* c = mo->if_contains("content")) f.prompt_tokens += count_content(*c);
    }
  } else {
    f.error = "'messages' is a required property";
  }
  if (const auto* sys = obj.if_contains("system")) f.prompt_tokens += count_content(*sys);
  if (f.prompt_tokens == 0) f.prompt_tokens = 1;
  return f;
}

}  // namespace chatstream::fake_upstream
