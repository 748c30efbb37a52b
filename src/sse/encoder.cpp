#include "sse/encoder.hpp"

#include <bit>
#include <cstdint>
#include <string>

#include "util/swar.hpp"

namespace chatstream::sse {
namespace {

void append_single_line(std::string& out, std::string_view text) {
  for (char c : text) {
    if (c != '\n' && c != '\r') out.push_back(c);
  }
}

// The index of the first byte at or after `from` that a JSON string must escape (a control
// character, '"' or '\\'), or text.size(); eight bytes at a time (util/swar.hpp). Bytes with
// the high bit set (UTF-8) are copied as they are.
std::size_t next_to_escape(std::string_view text, std::size_t from) noexcept {
  std::size_t i = from;
  if constexpr (std::endian::native == std::endian::little) {
    for (; text.size() - i >= 8; i += 8) {
      const std::uint64_t flags = util::swar::json_special(util::swar::load(text.data() + i));
      if (flags != 0) return i + util::swar::first(flags);
    }
  }
  for (; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == '"' || c == '\\') return i;
  }
  return i;
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
  out.push_back('"');
  append_json_escaped(out, text);
  out.push_back('"');
}

void append_json_escaped(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::size_t run = 0;
  std::size_t i = 0;
  for (;;) {
    i = next_to_escape(text, i);
    if (i == text.size()) break;
    out.append(text.data() + run, i - run);
    const auto c = static_cast<unsigned char>(text[i]);
    run = ++i;
    switch (c) {
      case '"':
        out.append("\\\"", 2);
        break;
      case '\\':
        out.append("\\\\", 2);
        break;
      case '\n':
        out.append("\\n", 2);
        break;
      case '\r':
        out.append("\\r", 2);
        break;
      case '\t':
        out.append("\\t", 2);
        break;
      default: {
        const char esc[] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        out.append(esc, sizeof esc);
      }
    }
  }
  out.append(text.data() + run, text.size() - run);
}

}  // namespace chatstream::sse
