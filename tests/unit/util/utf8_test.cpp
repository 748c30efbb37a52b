#include "util/utf8.hpp"

#include <gtest/gtest.h>

#include <string>

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
