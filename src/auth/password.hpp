// Password hashing with argon2id (libsodium crypto_pwhash_str). Pure and thread-safe; each
// call takes as long and as much memory as the cost says, so servers run it off their I/O
// threads.
//
// Cost: libsodium's "interactive" limits (2 passes, 64 MiB) by default. "moderate" (3 passes,
// 256 MiB, about a second per hash on a small machine) would let a handful of concurrent
// logins pin a gigabyte and seconds of CPU on a 2-core server, which is itself a denial of
// service lever; interactive is what libsodium recommends for online logins. Hashes made with
// other limits still verify, and are re-hashed with the current ones at the next login.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::auth {

struct PasswordCost {
  unsigned long long opslimit = 0;
  std::size_t memlimit = 0;

  static PasswordCost interactive() noexcept;
  static PasswordCost moderate() noexcept;
  static PasswordCost minimum() noexcept;  // tests only: fast and weak
};

// "interactive", "moderate" or "minimum"; nullopt for anything else.
std::optional<PasswordCost> password_cost_from_string(std::string_view name) noexcept;

// Initialises libsodium (idempotent, thread-safe). Throws std::runtime_error if it cannot.
void ensure_sodium();

inline constexpr std::size_t min_password_bytes = 8;
inline constexpr std::size_t max_password_bytes = 1024;

// True when the password's length is acceptable (8..1024 bytes).
bool acceptable_password(std::string_view password) noexcept;

// An argon2id hash string ("$argon2id$v=19$m=...") with a random salt. Throws
// std::runtime_error when memory is exhausted.
std::string hash_password(std::string_view password, PasswordCost cost);

// Constant-time check of `password` against a hash string made by hash_password (any cost).
// False for malformed hashes.
bool verify_password(const std::string& hash, std::string_view password);

// True when `hash` was made with other parameters than `cost` (or is not argon2id).
bool needs_rehash(const std::string& hash, PasswordCost cost);

}  // namespace chatstream::auth
