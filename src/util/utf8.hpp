// UTF-8 validation and repair. Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

namespace chatstream::util {

// True when `text` is well-formed UTF-8 (no overlongs, surrogates or code points above
// U+10FFFF).
bool is_valid_utf8(std::string_view text) noexcept;

// `text` with every ill-formed sequence replaced by U+FFFD (one replacement per maximal
// ill-formed subpart, as the WHATWG decoder does). With `replace_nul`, U+0000 is replaced
// too (PostgreSQL text cannot hold it, so stores normalise it away).
std::string sanitize_utf8(std::string_view text, bool replace_nul = false);

}  // namespace chatstream::util
