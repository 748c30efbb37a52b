// Random secrets (session ids, API tokens, the setup token) and their stored form.
// Only a hash of a secret is ever stored; lookups go by that hash. Pure and thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace chatstream::auth {

// `bytes` random bytes (libsodium) as unpadded base64url.
std::string random_secret(std::size_t bytes = 32);

// Unpadded base64url of arbitrary bytes.
std::string base64url(std::string_view bytes);

inline constexpr std::string_view api_token_marker = "cs_";
inline constexpr std::size_t api_token_prefix_chars = 11;  // "cs_" + 8 characters

// A session cookie value (32 random bytes).
std::string new_session_secret();
// A personal API token: "cs_" + 32 random bytes in base64url.
std::string new_api_token();
// The characters of a token shown for identification ("cs_AbCdEfGh").
std::string token_prefix(std::string_view token);
// True when `text` looks like a token of ours ("cs_" and a sane length).
bool looks_like_api_token(std::string_view text) noexcept;

// The stored form of a secret: BLAKE2b-256 (crypto_generichash), 64 lower-case hex digits.
// Secrets are high-entropy random values, so a fast hash is the right tool (no salt needed).
std::string secret_hash(std::string_view secret);

// Constant-time comparison (length is not secret).
bool constant_time_equal(std::string_view a, std::string_view b) noexcept;

}  // namespace chatstream::auth
