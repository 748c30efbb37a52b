// Human-friendly durations for configuration: "250ms", "15s", "5m", "1h", "7d", or a bare number of
// milliseconds.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::app {

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace chatstream::app
