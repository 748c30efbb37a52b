// Minimal JSON text helpers for building provider frames without a DOM (fast, no allocation
// beyond the output string). Pure code.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace chatstream::fake_upstream {

// Append `s` as a quoted JSON string. With `go_html`, escape like Go's encoding/json
// (`&`, `<`, `>`, U+2028, U+2029 as \uXXXX), which is what Ollama emits.
void append_json_string(std::string& out, std::string_view s, bool go_html = false);

std::string json_string(std::string_view s, bool go_html = false);

// Random-looking but deterministic id suffix of `len` characters from [A-Za-z0-9].
std::string make_id(std::string_view prefix, std::uint64_t seed, std::size_t len);

}  // namespace chatstream::fake_upstream
