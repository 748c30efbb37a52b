#include "util/utf8.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

namespace chatstream::util {
namespace {

constexpr std::string_view replacement = "\xEF\xBF\xBD";

// Length of the well-formed sequence starting at `pos`, or 0 when it is ill-formed; in the
// latter case `bad` is set to the length of the maximal ill-formed subpart (at least 1).
std::size_t sequence_length(std::string_view s, std::size_t pos, std::size_t& bad) noexcept {
  const auto byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char lead = byte(pos);
  bad = 1;
  if (lead < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;
  if (lead >= 0xC2 && lead <= 0xDF) {
    len = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    len = 3;
    if (lead == 0xE0) lo = 0xA0;
    if (lead == 0xED) hi = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    len = 4;
    if (lead == 0xF0) lo = 0x90;
    if (lead == 0xF4) hi = 0x8F;
  } else {
    return 0;
  }
  for (std::size_t i = 1; i < len; ++i) {
    if (pos + i >= s.size()) return 0;
    const unsigned char c = byte(pos + i);
    const unsigned char min = i == 1 ? lo : 0x80;
    const unsigned char max = i == 1 ? hi : 0xBF;
    if (c < min || c > max) return 0;
    bad = i + 1;
  }
  return len;
}

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  std::size_t pos = 0;
  while (pos < text.size()) {
    // ASCII eight bytes at a time (a streamed answer is validated whole at each save), up to
    // the first byte with its high bit set: text mixing scripts does not fall back to one byte
    // per round.
    while (text.size() - pos >= 8) {
      std::uint64_t word = 0;
      std::memcpy(&word, text.data() + pos, sizeof word);
      const std::uint64_t high = word & 0x8080808080808080ULL;
      if (high != 0) {
        if constexpr (std::endian::native == std::endian::little) {
          pos += static_cast<std::size_t>(std::countr_zero(high)) / 8;
        } else if constexpr (std::endian::native == std::endian::big) {
          pos += static_cast<std::size_t>(std::countl_zero(high)) / 8;
        }
        break;
      }
      pos += 8;
    }
    if (pos == text.size()) break;
    if (static_cast<unsigned char>(text[pos]) < 0x80) {
      ++pos;
      continue;
    }
    std::size_t bad = 0;
    const std::size_t len = sequence_length(text, pos, bad);
    if (len == 0) return false;
    pos += len;
  }
  return true;
}

std::string sanitize_utf8(std::string_view text, bool replace_nul) {
  const bool has_nul = replace_nul && text.find('\0') != std::string_view::npos;
  if (!has_nul && is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 8);
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t bad = 0;
    const std::size_t len = sequence_length(text, pos, bad);
    if (len == 0) {
      out += replacement;
      pos += bad;
    } else if (replace_nul && text[pos] == '\0') {
      out += replacement;
      pos += 1;
    } else {
      out.append(text.substr(pos, len));
      pos += len;
    }
  }
  return out;
}

}  // namespace chatstream::util
