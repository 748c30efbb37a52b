// Typed configuration for the providers and their HTTP client, built once at start-up
// (from the TOML config file and the environment) and passed down.
#pragma once

#include <toml++/toml.h>
#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatstream::providers {

// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view)>;

// An API key. Deliberately has no stream operator or fmt formatter: the value only
// ever goes into an outgoing request header.
struct ApiKey {
  std::string value;
  bool empty() const noexcept { return value.empty(); }
};

// Settings of the built-in offline model.
struct SimulatedConfig {
  double tokens_per_second = 40.0;  // 0 = no delay at all (tests)
  double jitter = 0.35;             // +- fraction of the mean gap between tokens
  std::chrono::milliseconds first_token_delay{300};
  std::uint64_t seed = 0;  // mixed with the prompt: same prompt + seed = same answer
};

struct ProviderConfig {
  std::string name;         // unique, used as "name/model" prefix
  std::string kind;         // openai | anthropic | ollama | simulated
  std::string base_url;     // e.g. https://api.openai.com/v1, http://127.0.0.1:11434
  std::string api_key_env;  // where the key came from (for messages), may be empty
  ApiKey api_key;
  std::vector<std::string> models;
  std::string default_model;
  std::vector<std::pair<std::string, std::string>> headers;  // extra request headers
  std::string anthropic_version = "2023-06-01";
  SimulatedConfig simulated;
};

struct RetryConfig {
  int max_retries = 2;  // attempts = 1 + max_retries
  std::chrono::milliseconds base_delay{500};
  std::chrono::milliseconds max_delay{8000};
  std::chrono::milliseconds max_retry_after{30000};  // longer Retry-After = give up
};

struct HttpClientConfig {
  std::chrono::milliseconds connect_timeout{10000};     // DNS + TCP + proxy + TLS
  std::chrono::milliseconds first_byte_timeout{60000};  // request sent -> response head
  std::chrono::milliseconds idle_timeout{60000};        // max gap between body bytes
  std::chrono::milliseconds total_timeout{600000};      // whole request
  std::string ca_file;        // extra trusted CA bundle (PEM), in addition to the system store
  bool use_system_ca = true;  // load the system default verify paths
  std::size_t max_idle_per_origin = 8;
  std::chrono::milliseconds pool_idle_timeout{60000};  // idle pooled connection lifetime
  std::string https_proxy;  // http://[user:pass@]host:port, for https:// targets
  std::string http_proxy;   // for http:// targets
  std::string no_proxy;     // comma-separated hosts / .domains / * ; loopback is always direct
  RetryConfig retry;
};

// Builds the provider list from the [[providers]] tables of `file_config` (may be null)
// and the environment shortcuts OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY,
// OLLAMA_HOST. The simulated provider is always present (named "simulated" unless a
// [[providers]] table of kind "simulated" names it). Throws std::invalid_argument with a
// key-free message on an invalid table.
std::vector<ProviderConfig> provider_configs_from(const toml::table* file_config, EnvLookup env);

// Reads the optional [upstream] table (connect_timeout_ms, first_byte_timeout_ms,
// idle_timeout_ms, total_timeout_ms, ca_file, max_retries, retry_base_delay_ms,
// retry_max_delay_ms) and HTTPS_PROXY / HTTP_PROXY / NO_PROXY (either case).
HttpClientConfig http_client_config_from(const toml::table* file_config, EnvLookup env);

// An EnvLookup reading the real process environment.
EnvLookup process_env();

}  // namespace chatstream::providers
