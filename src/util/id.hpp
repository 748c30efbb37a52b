// Time-ordered random identifiers (ULID layout): 26 characters of Crockford base32,
// the first 10 encode a 48-bit Unix time in milliseconds, the last 16 encode 80 random
// bits. Lexicographic order of ids is creation-time order (to the millisecond; ids made
// on the same thread within one millisecond are strictly increasing). They never reveal
// a count and cannot be guessed, so they are safe in URLs.
//
// Thread safety: new_id() may be called from any number of threads at once.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::util {

inline constexpr std::size_t id_length = 26;

// A fresh id for the current time. Randomness comes from libsodium (a CSPRNG).
// Throws std::runtime_error only if libsodium cannot be initialised.
std::string new_id();

// A fresh id for the given time (milliseconds since the Unix epoch, 0 .. 2^48-1).
// Mostly for tests and imports; monotonic per thread like new_id().
std::string new_id_at(std::int64_t epoch_ms);

// True when `id` has the exact shape new_id() produces: 26 characters from the
// upper-case Crockford alphabet (0-9, A-Z without I, L, O, U), first character 0-7.
bool is_valid_id(std::string_view id) noexcept;

// The creation time encoded in a valid id, in milliseconds since the Unix epoch.
std::optional<std::int64_t> id_timestamp_ms(std::string_view id) noexcept;

}  // namespace chatstream::util
