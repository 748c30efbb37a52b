#include "sse/encoder.hpp"

#include <string>

namespace chatstream::sse {
namespace {

void append_single_line(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c != '\n' && c != '\r') out.push_back(c);
  }
}

}  // namespace

void append_event(std::string& out, std::string_view event, std::string_view data,
                  std::string_view id) {
  if (!event.empty()) {
    out.append("event: ");
    append_single_line(out, event);
    out.push_back('\n');
  }
  if (!id.empty()) {
    out.append("id: ");
    append_single_line(out, id);
    out.push_back('\n');
  }
  // Split data on CRLF, CR or LF; each line is one data field.
  std::size_t start = 0;
  for (std::size_t i = 0; i < data.size(); ++i) {
    char c = data[i];
    if (c != '\n' && c != '\r') continue;
    out.append("data: ");
    out.append(data.substr(start, i - start));
    out.push_back('\n');
    if (c == '\r' && i + 1 < data.size() && data[i + 1] == '\n') ++i;
    start = i + 1;
  }
  out.append("data: ");
  out.append(data.substr(start));
  out.append("\n\n");
}

void append_comment(std::string& out, std::string_view text) {
  out.append(": ");
  append_single_line(out, text);
  out.push_back('\n');
}

void append_retry(std::string& out, std::chrono::milliseconds delay) {
  out.append("retry: ");
  out.append(std::to_string(delay.count()));
  out.append("\n\n");
}

void append_json_string(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.reserve(out.size() + text.size() + 2);
  out.push_back('"');
  std::size_t run = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c >= 0x20 && c != '"' && c != '\\') continue;
    out.append(text.data() + run, i - run);
    run = i + 1;
    switch (c) {
      case '"':
        out.append("\\\"");
        break;
      case '\\':
        out.append("\\\\");
        break;
      case '\n':
        out.append("\\n");
        break;
      case '\r':
        out.append("\\r");
        break;
      case '\t':
        out.append("\\t");
        break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
  out.push_back('"');
}

}  // namespace chatstream::sse
