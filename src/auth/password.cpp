#include "auth/password.hpp"

#include <sodium.h>

#include <stdexcept>

namespace chatstream::auth {

PasswordCost PasswordCost::interactive() noexcept {
  return {crypto_pwhash_OPSLIMIT_INTERACTIVE, crypto_pwhash_MEMLIMIT_INTERACTIVE};
}

PasswordCost PasswordCost::moderate() noexcept {
  return {crypto_pwhash_OPSLIMIT_MODERATE, crypto_pwhash_MEMLIMIT_MODERATE};
}

PasswordCost PasswordCost::minimum() noexcept {
  return {crypto_pwhash_OPSLIMIT_MIN, crypto_pwhash_MEMLIMIT_MIN};
}

std::optional<PasswordCost> password_cost_from_string(std::string_view name) noexcept {
  if (name == "interactive") return PasswordCost::interactive();
  if (name == "moderate") return PasswordCost::moderate();
  if (name == "minimum") return PasswordCost::minimum();
  return std::nullopt;
}

void ensure_sodium() {
  if (sodium_init() < 0) throw std::runtime_error("libsodium cannot be initialised");
}

bool acceptable_password(std::string_view password) noexcept {
  return password.size() >= min_password_bytes && password.size() <= max_password_bytes;
}

std::string hash_password(std::string_view password, PasswordCost cost) {
  ensure_sodium();
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str_alg(out, password.data(), password.size(), cost.opslimit, cost.memlimit,
                            crypto_pwhash_ALG_ARGON2ID13) != 0) {
    throw std::runtime_error("password hashing ran out of memory");
  }
  return std::string(out);
}

bool verify_password(const std::string& hash, std::string_view password) {
  ensure_sodium();
  if (hash.empty() || hash.size() >= crypto_pwhash_STRBYTES) return false;
  return crypto_pwhash_str_verify(hash.c_str(), password.data(), password.size()) == 0;
}

bool needs_rehash(const std::string& hash, PasswordCost cost) {
  ensure_sodium();
  if (hash.rfind("$argon2id$", 0) != 0) return true;
  return crypto_pwhash_str_needs_rehash(hash.c_str(), cost.opslimit, cost.memlimit) != 0;
}

}  // namespace chatstream::auth
