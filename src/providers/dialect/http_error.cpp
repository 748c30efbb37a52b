// Error bodies of non-2xx answers sent instead of a stream.
#include <boost/json/parse.hpp>

#include <string>

#include "providers/dialect/decoder.hpp"
#include "providers/dialect/json_util.hpp"

namespace chatstream::providers::dialect {

namespace {

namespace json = boost::json;

constexpr std::size_t max_body_excerpt = 200;

// A short, single-line, printable excerpt of a non-JSON body (never more than a prefix).
std::string excerpt(std::string_view body) {
  std::string out;
  for (char c : body.substr(0, max_body_excerpt)) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  const std::size_t end = out.find_last_not_of(' ');
  out.erase(end == std::string::npos ? 0 : end + 1);
  const std::size_t begin = out.find_first_not_of(' ');
  out.erase(0, begin == std::string::npos ? out.size() : begin);
  return out;
}

void fill_from_json(const json::object& body, StreamError& e) {
  if (const json::value* error = body.if_contains("error")) {
    // OpenAI {"error":{...}}, Anthropic {"type":"error","error":{...}}, Ollama {"error":"..."}.
    const StreamError inner = detail::upstream_error(*error);
    e.message = inner.message;
    e.type = inner.type;
    e.code = inner.code;
    return;
  }
  // Other compatible servers: {"message": ...} or {"detail": ...}.
  for (std::string_view key : {"message", "detail"}) {
    if (auto text = detail::get_string(body, key)) {
      e.message = std::string(*text);
      return;
    }
  }
}

}  // namespace

StreamError decode_http_error(Dialect /*dialect*/, int status, std::string_view body) {
  StreamError e;
  e.kind = ErrorKind::http_status;
  e.http_status = status;
  e.retryable = is_retryable_status(status);
  boost::system::error_code ec;
  const json::value parsed = json::parse(body, ec);
  if (!ec && parsed.is_object()) {
    fill_from_json(parsed.get_object(), e);
  }
  if (e.message.empty()) {
    const std::string text = ec ? excerpt(body) : std::string();
    e.message = "upstream answered HTTP " + std::to_string(status);
    if (!text.empty()) {
      e.message += ": " + text;
    }
  }
  return e;
}

}  // namespace chatstream::providers::dialect
