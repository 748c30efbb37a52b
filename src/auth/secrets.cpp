#include "auth/secrets.hpp"

#include <sodium.h>

#include <vector>

#include "auth/password.hpp"

namespace chatstream::auth {

std::string base64url(std::string_view bytes) {
  ensure_sodium();
  const std::size_t length =
      sodium_base64_encoded_len(bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  std::string out(length, '\0');
  sodium_bin2base64(out.data(), out.size(), reinterpret_cast<const unsigned char*>(bytes.data()),
                    bytes.size(), sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  out.resize(length - 1);  // the terminating NUL
  return out;
}

std::string random_secret(std::size_t bytes) {
  ensure_sodium();
  std::string raw(bytes, '\0');
  randombytes_buf(raw.data(), raw.size());
  auto out = base64url(raw);
  sodium_memzero(raw.data(), raw.size());
  return out;
}

std::string new_session_secret() {
  return random_secret(32);
}

std::string new_api_token() {
  return std::string(api_token_marker) + random_secret(32);
}

std::string token_prefix(std::string_view token) {
  return std::string(token.substr(0, api_token_prefix_chars));
}

bool looks_like_api_token(std::string_view text) noexcept {
  return text.size() > api_token_prefix_chars && text.size() <= 200 &&
         text.substr(0, api_token_marker.size()) == api_token_marker;
}

std::string secret_hash(std::string_view secret) {
  ensure_sodium();
  unsigned char digest[crypto_generichash_BYTES];
  crypto_generichash(digest, sizeof digest, reinterpret_cast<const unsigned char*>(secret.data()),
                     secret.size(), nullptr, 0);
  char hex[crypto_generichash_BYTES * 2 + 1];
  sodium_bin2hex(hex, sizeof hex, digest, sizeof digest);
  return std::string(hex, crypto_generichash_BYTES * 2);
}

bool constant_time_equal(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace chatstream::auth
