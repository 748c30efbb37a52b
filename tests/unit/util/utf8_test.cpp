#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <string_view>

namespace chatstream::util {
namespace {

const std::string fffd = "\xEF\xBF\xBD";

TEST(Utf8, AcceptsWellFormed) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ascii"));
  EXPECT_TRUE(is_valid_utf8("h\xC3\xA9llo \xE2\x82\xAC \xF0\x9F\x98\x80 \xE4\xB8\xAD"));
  EXPECT_TRUE(is_valid_utf8(std::string("nul\0inside", 10)));
  EXPECT_TRUE(is_valid_utf8("\xF4\x8F\xBF\xBF"));  // U+10FFFF
}

TEST(Utf8, RejectsIllFormed) {
  for (const char* bad :
       {"\xFF", "\xC0\x80", "\xC1\xBF", "\xE0\x80\x80", "\xED\xA0\x80", "\xF0\x80\x80\x80",
        "\xF4\x90\x80\x80", "\xF5\x80\x80\x80", "\x80", "\xE2\x82", "abc\xC3"}) {
    EXPECT_FALSE(is_valid_utf8(bad)) << bad;
  }
}

// ASCII is skipped eight bytes at a time: a bad or multi-byte sequence is seen at any offset.
TEST(Utf8, EveryOffsetAfterAscii) {
  for (std::size_t k = 0; k < 20; ++k) {
    const std::string a(k, 'a');
    SCOPED_TRACE(k);
    EXPECT_TRUE(is_valid_utf8(a));
    EXPECT_TRUE(is_valid_utf8(a + "\xC3\xA9" + a));
    EXPECT_TRUE(is_valid_utf8(a + "\xF0\x9F\x98\x80"));
    EXPECT_FALSE(is_valid_utf8(a + "\xC3"));
    EXPECT_FALSE(is_valid_utf8(a + "\xC3" + a + "bbbbbbbbb"));
    EXPECT_FALSE(is_valid_utf8(a + "\xFF" + a));
    EXPECT_FALSE(is_valid_utf8(a + "\xED\xA0\x80" + a));
  }
}

// Text mixing scripts: the ASCII run before each multi-byte sequence is skipped within its
// word; an error anywhere is still found.
TEST(Utf8, MixedScriptsAtEveryOffset) {
  std::string text;
  for (int i = 0; i < 6; ++i) text += "na\xC3\xAFve \xE6\x9D\xB1\xE4\xBA\xAC ok \xF0\x9F\x99\x82 x";
  ASSERT_TRUE(is_valid_utf8(text));
  for (std::size_t i = 0; i < text.size(); ++i) {
    SCOPED_TRACE(i);
    std::string bad_lead = text;
    bad_lead.insert(i, "\xFF");
    EXPECT_FALSE(is_valid_utf8(bad_lead));
    std::string changed = text;
    const bool continuation = (static_cast<unsigned char>(text[i]) & 0xC0) == 0x80;
    changed[i] = continuation ? 'x' : '\x80';  // a sequence cut short, or a stray continuation
    EXPECT_FALSE(is_valid_utf8(changed));
  }
}

// Validity by decoding code points, written independently of the library's tables.
bool reference_valid(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto lead = static_cast<unsigned char>(s[i]);
    std::size_t len = 0;
    std::uint32_t cp = 0;
    if (lead < 0x80) {
      len = 1;
      cp = lead;
    } else if ((lead & 0xE0) == 0xC0) {
      len = 2;
      cp = lead & 0x1Fu;
    } else if ((lead & 0xF0) == 0xE0) {
      len = 3;
      cp = lead & 0x0Fu;
    } else if ((lead & 0xF8) == 0xF0) {
      len = 4;
      cp = lead & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i < len) return false;
    for (std::size_t k = 1; k < len; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const std::uint32_t min[] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += len;
  }
  return true;
}

// Random text from the bytes where the rules change, runs of ASCII and well-formed sequences:
// the validator agrees with decoding, and repair always yields valid text.
TEST(Utf8, AgreesWithDecodingOnRandomText) {
  const unsigned char edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF,
                                 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xEC, 0xED, 0xEE,
                                 0xEF, 0xF0, 0xF1, 0xF3, 0xF4, 0xF5, 0xF8, 0xFE, 0xFF};
  const std::string pieces[] = {"abcdefghijk",      "\xC3\xA9",         "\xE6\x9D\xB1",
                                "\xF0\x9F\x99\x82", "\xED\x9F\xBF",     "\xEE\x80\x80",
                                "\xF4\x8F\xBF\xBF", "\xF1\x80\x80\x80", "\xE1\xBF\x80"};
  std::mt19937 rng(20261125);
  int valid = 0;
  for (int round = 0; round < 20000; ++round) {
    std::string s;
    const int parts = static_cast<int>(rng() % 24);
    for (int p = 0; p < parts; ++p) {
      const unsigned pick = rng() % 4;
      if (pick == 0) {
        s += static_cast<char>(edges[rng() % sizeof edges]);
      } else {
        s += pieces[rng() % std::size(pieces)];
      }
    }
    SCOPED_TRACE(testing::PrintToString(s));
    const bool expected = reference_valid(s);
    valid += expected ? 1 : 0;
    ASSERT_EQ(is_valid_utf8(s), expected);
    ASSERT_TRUE(reference_valid(sanitize_utf8(s)));
  }
  EXPECT_GT(valid, 2000);  // both outcomes are well covered
  EXPECT_LT(valid, 18000);
}

TEST(Utf8, SanitizeKeepsValidText) {
  const std::string text = "caf\xC3\xA9 \xF0\x9F\x8D\xB5";
  EXPECT_EQ(sanitize_utf8(text), text);
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3)), std::string("a\0b", 3));
}

TEST(Utf8, SanitizeReplacesMaximalSubparts) {
  EXPECT_EQ(sanitize_utf8("a\xFF"
                          "b"),
            "a" + fffd + "b");
  EXPECT_EQ(sanitize_utf8("\xE2\x82"), fffd);                    // truncated at end
  EXPECT_EQ(sanitize_utf8("\xE2\x82x"), fffd + "x");             // truncated in the middle
  EXPECT_EQ(sanitize_utf8("\xED\xA0\x80"), fffd + fffd + fffd);  // surrogate
  EXPECT_EQ(sanitize_utf8("\xC0\xAF"), fffd + fffd);             // overlong
  EXPECT_EQ(sanitize_utf8("\xF0\x9F\x98"), fffd);
  EXPECT_TRUE(is_valid_utf8(sanitize_utf8("\x80\x81\xFE\xFF\xC3")));
}

TEST(Utf8, SanitizeCanReplaceNul) {
  EXPECT_EQ(sanitize_utf8(std::string("a\0b", 3), true), "a" + fffd + "b");
  EXPECT_EQ(sanitize_utf8(std::string("\0\xFF", 2), true), fffd + fffd);
}

}  // namespace
}  // namespace chatstream::util
