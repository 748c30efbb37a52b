#include "http/sse_head.hpp"

#include <algorithm>
#include <boost/beast/core/string.hpp>
#include <boost/beast/http/status.hpp>
#include <charconv>

namespace chatstream::http {
namespace {

namespace bhttp = boost::beast::http;

// Appends `text` without CR and LF (a value must not end the header line). Clean text, the
// usual case, goes in one append.
void append_clean(std::string& out, std::string_view text) {
  const auto line_break = [](char c) { return c == '\r' || c == '\n'; };
  if (std::none_of(text.begin(), text.end(), line_break)) {
    out.append(text);
    return;
  }
  for (const char c : text) {
    if (!line_break(c)) out.push_back(c);
  }
}

void append_field(std::string& out, std::string_view name, std::string_view value) {
  append_clean(out, name);
  out.append(": ");
  append_clean(out, value);
  out.append("\r\n");
}

bool named(const HeaderList& headers, std::string_view name) {
  for (const auto& [k, v] : headers) {
    if (boost::beast::iequals(k, name)) return true;
  }
  return false;
}

}  // namespace

std::string sse_response_head(unsigned status, unsigned version, std::string_view request_id,
                              const HeaderList& extra, bool chunked) {
  std::string out;
  out.reserve(320);
  out.append(version >= 11 ? "HTTP/1.1 " : "HTTP/1.0 ");
  char digits[8];
  const auto end = std::to_chars(digits, digits + sizeof digits, status).ptr;
  out.append(digits, end);
  out.push_back(' ');
  const auto reason = bhttp::obsolete_reason(static_cast<bhttp::status>(status));
  out.append(reason.data(), reason.size());
  out.append("\r\n");
  const std::pair<std::string_view, std::string_view> defaults[] = {
      {"Content-Type", "text/event-stream; charset=utf-8"},
      {"Cache-Control", "no-cache, no-transform"},
      {"X-Accel-Buffering", "no"},
      {"X-Request-Id", request_id},
      {"X-Content-Type-Options", "nosniff"},
  };
  for (const auto& [name, value] : defaults) {
    if (!named(extra, name)) append_field(out, name, value);
  }
  for (const auto& [name, value] : extra) {
    if (boost::beast::iequals(name, "Connection") ||
        boost::beast::iequals(name, "Transfer-Encoding") ||
        boost::beast::iequals(name, "Content-Length")) {
      continue;
    }
    append_field(out, name, value);
  }
  if (version >= 11) out.append("Connection: close\r\n");
  if (chunked) out.append("Transfer-Encoding: chunked\r\n");
  out.append("\r\n");
  return out;
}

}  // namespace chatstream::http
