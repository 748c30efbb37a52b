#include "textgen.hpp"

#include <array>

namespace chatstream::fake_upstream {
namespace {

// Mixed ASCII and multi-byte words (2-, 3- and 4-byte UTF-8 sequences).
constexpr std::array<std::string_view, 32> kWords{
    "the",   "stream", "token",    "fake",  "upstream", "hello",      "world",  "café",
    "naïve", "über",   "München",  "東京",  "世界",     "こんにちは", "данные", "привет",
    "🙂",  "🚀",      "👍🏽", "λόγος", "data",     "quick",      "brown",  "fox",
    "jumps", "over",   "lazy",     "dog",   "señor",    "smörgås",    "中文",   "✓"};

}  // namespace

std::uint64_t mix64(std::uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

std::string_view token_word(std::uint64_t seed, std::size_t index) {
  const std::uint64_t r = mix64(seed * 0x100000001b3ULL + index);
  return kWords[r % kWords.size()];
}

bool token_has_leading_space(std::size_t index) {
  return index != 0;
}

void append_token(std::string& out, std::uint64_t seed, std::size_t index) {
  if (token_has_leading_space(index)) out.push_back(' ');
  out.append(token_word(seed, index));
}

std::string generated_text(std::uint64_t seed, std::size_t n) {
  std::string out;
  out.reserve(n * 7);
  for (std::size_t i = 0; i < n; ++i) append_token(out, seed, i);
  return out;
}

std::uint32_t jitter_for(std::uint64_t seed, std::size_t index, std::uint32_t jitter_ms) {
  if (jitter_ms == 0) return 0;
  const std::uint64_t r = mix64(~seed ^ (index * 0x9e3779b97f4a7c15ULL));
  return static_cast<std::uint32_t>(r % (static_cast<std::uint64_t>(jitter_ms) + 1));
}

std::size_t count_words(std::string_view text) {
  std::size_t n = 0;
  bool in_word = false;
  for (char ch : text) {
    const bool space = ch == ' ' || ch == '\n' || ch == '\t' || ch == '\r';
    if (!space && !in_word) ++n;
    in_word = !space;
  }
  return n;
}

}  // namespace chatstream::fake_upstream
