// Eight bytes at a time in a 64-bit word (SWAR), for scans over text. Each test returns the
// high bit of every byte of `x` that it flags. A test flags its lowest matching byte exactly (a
// borrow only carries upward from a real match; bytes above it may be flagged falsely), so the
// lowest flag of any union of tests is exact too: first() of it is the index of the first byte
// to look at. Words are loaded with load() and read little-endian (callers check
// std::endian::native).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

namespace chatstream::util::swar {

inline constexpr std::uint64_t kOnes = 0x0101010101010101ULL;
inline constexpr std::uint64_t kHigh = 0x8080808080808080ULL;

inline std::uint64_t load(const char* p) noexcept {
  std::uint64_t x = 0;
  std::memcpy(&x, p, sizeof x);
  return x;
}

// Bytes equal to `c`.
constexpr std::uint64_t equal_to(std::uint64_t x, unsigned char c) noexcept {
  const std::uint64_t v = x ^ (kOnes * c);
  return (v - kOnes) & ~v & kHigh;
}

// Bytes below 0x20 (control characters).
constexpr std::uint64_t control(std::uint64_t x) noexcept {
  return (x - kOnes * 0x20) & ~x & kHigh;
}

// Bytes with the high bit set (not ASCII).
constexpr std::uint64_t non_ascii(std::uint64_t x) noexcept {
  return x & kHigh;
}

// Bytes a JSON string cannot hold as they are: '"', '\\' and control characters.
constexpr std::uint64_t json_special(std::uint64_t x) noexcept {
  return equal_to(x, '"') | equal_to(x, '\\') | control(x);
}

// The index (0 to 7, in memory order) of the lowest flagged byte; `flags` is not 0.
constexpr std::size_t first(std::uint64_t flags) noexcept {
  return static_cast<std::size_t>(std::countr_zero(flags)) / 8;
}

}  // namespace chatstream::util::swar
