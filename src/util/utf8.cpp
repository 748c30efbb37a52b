#include "util/utf8.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstdint>

#include "util/swar.hpp"

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

// A shift-based DFA for validation: each state is a bit offset into a 64-bit row, the row of
// a byte holds the next state for every state, so a byte costs a load, a shift and a mask.
// kError is 0, so every transition not listed leads to it and it never leaves.
constexpr std::uint64_t kError = 0;
constexpr std::uint64_t kAccept = 6;
constexpr std::uint64_t kTail1 = 12;    // one continuation byte left
constexpr std::uint64_t kTail2 = 18;    // two left
constexpr std::uint64_t kTail3 = 24;    // three left
constexpr std::uint64_t kAfterE0 = 30;  // A0..BF, then one (no overlong three-byte form)
constexpr std::uint64_t kAfterED = 36;  // 80..9F, then one (no surrogates)
constexpr std::uint64_t kAfterF0 = 42;  // 90..BF, then two (no overlong four-byte form)
constexpr std::uint64_t kAfterF4 = 48;  // 80..8F, then two (nothing above U+10FFFF)
constexpr std::uint64_t kStateMask = 63;

constexpr std::array<std::uint64_t, 256> make_transitions() {
  std::array<std::uint64_t, 256> rows{};
  const auto on = [&rows](unsigned lo, unsigned hi, std::uint64_t from, std::uint64_t to) {
    for (unsigned b = lo; b <= hi; ++b) rows[b] |= to << from;
  };
  on(0x00, 0x7F, kAccept, kAccept);
  on(0xC2, 0xDF, kAccept, kTail1);
  on(0xE0, 0xE0, kAccept, kAfterE0);
  on(0xE1, 0xEC, kAccept, kTail2);
  on(0xED, 0xED, kAccept, kAfterED);
  on(0xEE, 0xEF, kAccept, kTail2);
  on(0xF0, 0xF0, kAccept, kAfterF0);
  on(0xF1, 0xF3, kAccept, kTail3);
  on(0xF4, 0xF4, kAccept, kAfterF4);
  on(0x80, 0xBF, kTail1, kAccept);
  on(0x80, 0xBF, kTail2, kTail1);
  on(0x80, 0xBF, kTail3, kTail2);
  on(0xA0, 0xBF, kAfterE0, kTail1);
  on(0x80, 0x9F, kAfterED, kTail1);
  on(0x90, 0xBF, kAfterF0, kTail2);
  on(0x80, 0x8F, kAfterF4, kTail2);
  return rows;
}

constexpr std::array<std::uint64_t, 256> kTransitions = make_transitions();

}  // namespace

bool is_valid_utf8(std::string_view text) noexcept {
  // The state is the low six bits of `state`: the higher bits are what the last row held for
  // other states, and the shift ignores them (`& kStateMask` costs nothing on x86-64, where a
  // shift count is taken modulo 64 anyway).
  std::uint64_t state = kAccept;
  const auto* bytes = reinterpret_cast<const unsigned char*>(text.data());
  const auto next = [&state](unsigned char byte) {
    state = kTransitions[byte] >> (state & kStateMask);
  };
  std::size_t pos = 0;
  const std::size_t size = text.size();
  while (pos < size) {
    if ((state & kStateMask) == kAccept) {
      // Between sequences: ASCII eight bytes at a time, up to the first byte with its high bit
      // set (a streamed answer is validated whole at each save).
      while (size - pos >= 8) {
        const std::uint64_t high = swar::non_ascii(swar::load(text.data() + pos));
        if (high != 0) {
          if constexpr (std::endian::native == std::endian::little) {
            pos += swar::first(high);
          } else if constexpr (std::endian::native == std::endian::big) {
            pos += static_cast<std::size_t>(std::countl_zero(high)) / 8;
          }
          break;
        }
        pos += 8;
      }
      if (pos == size) break;
    }
    // Then the DFA a stretch at a time (four bytes a round): text mixing scripts goes back to
    // the word loop often.
    if (size - pos >= 16) {
      for (const std::size_t stop = pos + 16; pos < stop; pos += 4) {
        next(bytes[pos]);
        next(bytes[pos + 1]);
        next(bytes[pos + 2]);
        next(bytes[pos + 3]);
      }
    } else {
      while (pos < size) next(bytes[pos++]);
    }
    if ((state & kStateMask) == kError) return false;
  }
  return (state & kStateMask) == kAccept;
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
