#include "json_text.hpp"

#include <cstdint>

#include "textgen.hpp"

namespace chatstream::fake_upstream {
namespace {

void append_u(std::string& out, unsigned code) {
  static constexpr char kHex[] = "0123456789abcdef";
  out.append("\\u00");
  out.push_back(kHex[(code >> 4) & 0xf]);
  out.push_back(kHex[code & 0xf]);
}

}  // namespace

void append_json_string(std::string& out, std::string_view s, bool go_html) {
  out.push_back('"');
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto ch = static_cast<unsigned char>(s[i]);
    switch (ch) {
      case '"':
        out.append("\\\"");
        continue;
      case '\\':
        out.append("\\\\");
        continue;
      case '\n':
        out.append("\\n");
        continue;
      case '\r':
        out.append("\\r");
        continue;
      case '\t':
        out.append("\\t");
        continue;
      default:
        break;
    }
    if (ch < 0x20 || (go_html && (ch == '&' || ch == '<' || ch == '>'))) {
      append_u(out, ch);
    } else if (go_html && ch == 0xe2 && i + 2 < s.size() && s[i + 1] == '\x80' &&
               (s[i + 2] == '\xa8' || s[i + 2] == '\xa9')) {
      out.append(s[i + 2] == '\xa8' ? "\\u2028" : "\\u2029");
      i += 2;
    } else {
      out.push_back(static_cast<char>(ch));
    }
  }
  out.push_back('"');
}

std::string json_string(std::string_view s, bool go_html) {
  std::string out;
  out.reserve(s.size() + 2);
  append_json_string(out, s, go_html);
  return out;
}

std::string make_id(std::string_view prefix, std::uint64_t seed, std::size_t len) {
  static constexpr std::string_view kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::string out(prefix);
  std::uint64_t x = seed;
  for (std::size_t i = 0; i < len; ++i) {
    x = mix64(x + i);
    out.push_back(kAlphabet[x % kAlphabet.size()]);
  }
  return out;
}

}  // namespace chatstream::fake_upstream
