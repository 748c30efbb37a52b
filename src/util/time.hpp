// RFC 3339 timestamps in UTC with millisecond precision, the format of every time in the
// HTTP API: "2026-11-24T12:00:00.123Z". Pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::util {

// Milliseconds since the Unix epoch of `tp` (rounded toward negative infinity).
std::int64_t to_epoch_ms(std::chrono::system_clock::time_point tp) noexcept;

// The current wall-clock time in milliseconds since the Unix epoch.
std::int64_t now_epoch_ms() noexcept;

// "YYYY-MM-DDTHH:MM:SS.mmmZ". Years outside 0000..9999 are clamped to that range.
std::string format_rfc3339_ms(std::int64_t epoch_ms);
std::string format_rfc3339_ms(std::chrono::system_clock::time_point tp);

// Parses RFC 3339 date-times: "T"/"t"/" " separator, optional fraction of any length
// (truncated to milliseconds), "Z"/"z" or a "+hh:mm"/"-hh:mm" offset. Returns the time
// in milliseconds since the Unix epoch, or nullopt when the text is not a valid date-time
// (including impossible dates such as February 30 and leap seconds).
std::optional<std::int64_t> parse_rfc3339_ms(std::string_view text) noexcept;

}  // namespace chatstream::util
