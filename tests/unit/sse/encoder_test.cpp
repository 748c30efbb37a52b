#include "sse/encoder.hpp"

#include <gtest/gtest.h>

#include <random>
#include <string>
#include <string_view>

namespace chatstream::sse {
namespace {

// Escaping one byte at a time, written for the test.
std::string reference_literal(std::string_view text) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out = "\"";
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '"') {
      out += "\\\"";
    } else if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else if (c == '\t') {
      out += "\\t";
    } else if (c < 0x20) {
      out += "\\u00";
      out += kHex[c >> 4];
      out += kHex[c & 15];
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

std::string literal(std::string_view text) {
  std::string out = "prefix:";
  append_json_string(out, text);
  EXPECT_EQ(out.substr(0, 7), "prefix:");  // appended, never overwritten
  return out.substr(7);
}

TEST(JsonString, EscapesQuotesBackslashesAndControlCharacters) {
  EXPECT_EQ(literal(""), "\"\"");
  EXPECT_EQ(literal("plain text"), "\"plain text\"");
  EXPECT_EQ(literal("say \"hi\"\\n"), "\"say \\\"hi\\\"\\\\n\"");
  EXPECT_EQ(literal("a\nb\rc\td"), "\"a\\nb\\rc\\td\"");
  EXPECT_EQ(literal(std::string("\0\x01\x1f\x7f", 4)), "\"\\u0000\\u0001\\u001f\x7f\"");
  EXPECT_EQ(literal("caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x99\x82"),
            "\"caf\xC3\xA9 \xE6\x9D\xB1 \xF0\x9F\x99\x82\"");
  std::string inside;
  append_json_escaped(inside, "a\"b");
  EXPECT_EQ(inside, "a\\\"b");
}

// The bytes to escape are found eight at a time: each one, alone or next to others, at every
// offset in runs of plain ASCII and UTF-8, is escaped exactly as byte by byte.
TEST(JsonString, AgreesWithByteByByteEscapingAtEveryOffset) {
  const char specials[] = {'"', '\\', '\n', '\r', '\t', '\0', '\x01', '\x1f', ' ', '\x7f'};
  const std::string fillers[] = {"abcdefghijklmnopqrstuvwxyz",
                                 "\xC3\xA9\xE6\x9D\xB1\xF0\x9F\x99\x82xyz"};
  for (const auto& filler : fillers) {
    for (std::size_t at = 0; at < 20; ++at) {
      for (char special : specials) {
        std::string text = filler.substr(0, at);
        text += special;
        text += filler;
        SCOPED_TRACE(testing::PrintToString(text));
        ASSERT_EQ(literal(text), reference_literal(text));
      }
    }
  }
  std::mt19937 rng(7);
  const char alphabet[] = {'a',    'Z',    ' ',    '"',    '\\',   '\n',   '\x02', '\x1f', '\x20',
                           '\x21', '\x5b', '\x5d', '\x7f', '\x80', '\xBF', '\xC3', '\xA9', '\xFF'};
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const std::size_t size = rng() % 40;
    for (std::size_t i = 0; i < size; ++i) text += alphabet[rng() % sizeof alphabet];
    SCOPED_TRACE(testing::PrintToString(text));
    ASSERT_EQ(literal(text), reference_literal(text));
  }
}

}  // namespace
}  // namespace chatstream::sse
