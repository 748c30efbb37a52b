// The one typed configuration of the server, built in main from (highest first) command-line
// flags, CHATSTREAM_* environment variables, an optional TOML file (--config), and defaults.
#pragma once

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "http/server.hpp"

namespace toml {
inline namespace v3 {
class table;
}
}  // namespace toml

namespace chatstream::app {

struct GenerationSettings {
  std::chrono::milliseconds persist_interval{250};               // content flush to the store
  std::chrono::milliseconds log_grace{std::chrono::minutes(5)};  // live log kept after the end
  std::chrono::milliseconds cancel_unwatched_after{0};  // nobody watching for this long; 0 = never
  std::size_t max_concurrent = 256;                     // generations running at once, in total
  std::size_t max_message_bytes = 100'000;              // user message content
  std::size_t context_budget_chars = 48'000;  // history sent upstream (oldest turns dropped)
  bool auto_titles = true;                    // model-made titles (never for simulated)
};

// Accounts and abuse limits (docs/accounts.md).
struct AccountSettings {
  std::string mode = "single-user";  // single-user | multi-user
  bool behind_tls = false;           // session cookie gets `Secure`
  bool trust_forwarded_for = false;  // client address from X-Forwarded-For (behind a proxy)
  std::chrono::milliseconds session_idle{std::chrono::hours(24 * 7)};
  std::chrono::milliseconds session_lifetime{std::chrono::hours(24 * 30)};
  // Per-user defaults (multi-user mode; 0 = unlimited); an admin may override them per user.
  std::int64_t user_max_generations = 3;
  std::int64_t user_requests_per_minute = 20;
  std::int64_t user_tokens_per_day = 0;
  // Login lockout: free failures, then base * 2^n up to max.
  int login_free_attempts = 5;
  int login_ip_free_attempts = 20;
  std::chrono::milliseconds login_lockout{std::chrono::seconds(30)};
  std::chrono::milliseconds login_lockout_max{std::chrono::minutes(15)};
  std::string password_cost = "interactive";  // interactive | moderate | minimum (tests)
};

// Several instances sharing live generations through Redis (docs/cluster.md).
struct ClusterOptions {
  std::string redis;        // redis://host:port[/db]; empty: a single instance (no Redis)
  std::string instance_id;  // empty: a random id per start
  std::chrono::milliseconds lease_ttl{std::chrono::seconds(10)};
};

struct Config {
  ClusterOptions cluster;
  http::ServerConfig server;
  std::filesystem::path data_dir = "data";
  std::filesystem::path web_root = "web/dist";
  std::filesystem::path port_file;  // empty: none
  std::string database;             // empty: sqlite file in data_dir
  unsigned threads = 0;             // 0: one per core
  std::string log_format = "text";  // text | json
  std::string log_level = "info";
  std::chrono::milliseconds shutdown_grace{std::chrono::seconds(10)};
  bool allow_remote_unauthenticated = false;
  bool debug_endpoints = false;
  bool gateway_history = false;  // save /v1 exchanges as conversations
  GenerationSettings generation;
  AccountSettings accounts;
  std::shared_ptr<const toml::table> file;  // the parsed --config file (providers etc.), or null
  std::optional<std::filesystem::path> config_path;
};

struct ConfigResult {
  std::optional<Config> config;  // empty: exit with `exit_code` (help, version, or an error)
  int exit_code = 0;
  std::string message;  // help text or error, to print
};

ConfigResult load_config(int argc, const char* const* argv);

// Validates cross-field rules (e.g. remote binding without authentication). Empty = fine.
std::string validate(const Config& config);

// The history database URL of a configuration.
std::string database_url(const std::filesystem::path& data_dir, const std::string& database);

}  // namespace chatstream::app
