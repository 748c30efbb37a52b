// Bearer-token authentication for /v1: tokens are stored as SHA-256 hashes and compared in
// constant time; without configured tokens only loopback clients are let in.
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <array>

#include "api/openai/errors.hpp"
#include "api/openai/gateway.hpp"

namespace chatstream::api::openai {

std::string sha256_hex(std::string_view token) {
  std::array<unsigned char, EVP_MAX_MD_SIZE> digest{};
  unsigned int length = 0;
  if (EVP_Digest(token.data(), token.size(), digest.data(), &length, EVP_sha256(), nullptr) != 1) {
    throw std::runtime_error("SHA-256 is unavailable");
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex;
  hex.reserve(length * 2);
  for (unsigned int i = 0; i < length; ++i) {
    hex += kHex[digest[i] >> 4];
    hex += kHex[digest[i] & 15];
  }
  return hex;
}

namespace {

ApiError unauthorized(std::string message, std::string code) {
  ApiError e;
  e.status = 401;
  e.type = "authentication_error";
  e.message = std::move(message);
  e.code = std::move(code);
  return e;
}

// The token of an `Authorization: Bearer <token>` header, or empty.
std::string_view bearer_token(const http::Request& request) {
  std::string_view value = request.header("authorization");
  static constexpr std::string_view kScheme = "bearer ";
  if (value.size() <= kScheme.size()) return {};
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = value[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return {};
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

}  // namespace

std::optional<http::Response> authorize(const http::Request& request, const GatewayConfig& config) {
  if (config.token_hashes.empty()) {
    if (request.remote_is_loopback) return std::nullopt;
    return error_response(unauthorized(
        "No API token is configured, so /v1 only accepts clients on this machine. Configure "
        "[gateway] tokens or CHATSTREAM_API_TOKENS to allow remote clients.",
        "remote_client_not_allowed"));
  }
  const std::string_view token = bearer_token(request);
  if (token.empty()) {
    return error_response(
        unauthorized("You didn't provide an API key. Send it as 'Authorization: Bearer <token>'.",
                     "missing_api_key"));
  }
  const std::string presented = sha256_hex(token);
  bool match = false;
  for (const auto& hash : config.token_hashes) {
    // Every configured hash is compared in full: timing reveals nothing about which matched.
    if (hash.size() == presented.size() &&
        CRYPTO_memcmp(hash.data(), presented.data(), presented.size()) == 0) {
      match = true;
    }
  }
  if (match) return std::nullopt;
  return error_response(unauthorized("Incorrect API key provided.", "invalid_api_key"));
}

}  // namespace chatstream::api::openai
