#include "util/swar.hpp"

#include <gtest/gtest.h>

#include <bit>
#include <string>

namespace chatstream::util::swar {
namespace {

bool json_special_byte(unsigned c) {
  return c < 0x20 || c == '"' || c == '\\';
}

// Every byte value at every position of a word of plain letters, then after a second special
// byte below it: a flag exactly where a JSON string needs an escape, and first() finds the
// lowest one even when a borrow flags bytes above it.
TEST(Swar, JsonSpecialFlagsExactlyTheLowestByteToEscape) {
  if constexpr (std::endian::native != std::endian::little) {
    GTEST_SKIP() << "little-endian scans";
  }
  for (unsigned b = 0; b < 256; ++b) {
    for (std::size_t k = 0; k < 8; ++k) {
      std::string word(8, 'a');
      word[k] = static_cast<char>(b);
      const std::uint64_t flags = json_special(load(word.data()));
      SCOPED_TRACE(testing::Message() << "byte " << b << " at " << k);
      ASSERT_EQ(flags != 0, json_special_byte(b));
      if (flags != 0) {
        ASSERT_EQ(first(flags), k);
      }
      ASSERT_EQ(non_ascii(load(word.data())) != 0, b >= 0x80);
      for (std::size_t j = 0; j < k; ++j) {
        std::string two = word;
        two[j] = '\0';  // a borrow out of byte j runs upward
        ASSERT_EQ(first(json_special(load(two.data()))), j);
      }
    }
  }
  EXPECT_EQ(first(equal_to(load("abcdefgh"), 'e')), 4U);
  EXPECT_EQ(equal_to(load("abcdefgh"), 'z'), 0U);
}

}  // namespace
}  // namespace chatstream::util::swar
