// Deterministic text for generated streams. Pure code.
// Token i of a stream depends only on (seed, i); every token is complete UTF-8 and some are
// multi-byte (accents, CJK, Cyrillic, emoji), so relays that split code points are caught.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace chatstream::fake_upstream {

// splitmix64: small, fast, good enough for test data.
std::uint64_t mix64(std::uint64_t x);

// Token `index` (0-based) of the stream with `seed`. Every token but the first starts with a
// space. The returned view points into static storage.
std::string_view token_word(std::uint64_t seed, std::size_t index);
bool token_has_leading_space(std::size_t index);

// The whole text of a stream of `n` tokens (concatenation of the tokens, with spaces).
std::string generated_text(std::uint64_t seed, std::size_t n);

// Append token `index` (with its leading space when it has one) to `out`.
void append_token(std::string& out, std::uint64_t seed, std::size_t index);

// Deterministic jitter in [0, jitter_ms] for the delay before token `index`.
std::uint32_t jitter_for(std::uint64_t seed, std::size_t index, std::uint32_t jitter_ms);

// Word count used as the prompt token count of a request (whitespace-separated runs).
std::size_t count_words(std::string_view text);

}  // namespace chatstream::fake_upstream
