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

}  // namespace chatstream::sse
