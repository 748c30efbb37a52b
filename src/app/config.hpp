// The one typed configuration of the server, built in main from (highest first) command-line
// flags, CHATSTREAM_* environment variables, an optional TOML file (--config), and defaults.
#pragma once

#include <chrono>
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

struct Config {
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

}  // namespace chatstream::app
