// [gateway] configuration from the TOML file and the environment.
#include <toml++/toml.h>

#include <algorithm>
#include <stdexcept>

#include "api/openai/gateway.hpp"

namespace chatstream::api::openai {

namespace {

std::string trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return std::string(s);
}

std::vector<std::string> strings(const toml::table& t, std::string_view key) {
  std::vector<std::string> out;
  const toml::node* node = t.get(key);
  if (node == nullptr) return out;
  const toml::array* arr = node->as_array();
  if (arr == nullptr) {
    throw std::invalid_argument("gateway: '" + std::string(key) + "' must be an array of strings");
  }
  for (const auto& item : *arr) {
    auto s = item.value<std::string>();
    if (!s) {
      throw std::invalid_argument("gateway: '" + std::string(key) +
                                  "' must be an array of strings");
    }
    out.push_back(std::move(*s));
  }
  return out;
}

std::string checked_hash(std::string hash) {
  std::transform(hash.begin(), hash.end(), hash.begin(), [](unsigned char c) {
    return static_cast<char>(c >= 'A' && c <= 'F' ? c - 'A' + 'a' : c);
  });
  const bool hex = hash.size() == 64 && std::all_of(hash.begin(), hash.end(), [](char c) {
                     return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
                   });
  if (!hex) {
    throw std::invalid_argument("gateway: 'token_sha256' entries must be 64 hex characters");
  }
  return hash;
}

void add_token(GatewayConfig& config, std::string_view token, const char* where) {
  const std::string t = trim(token);
  if (t.empty()) return;
  if (t.size() > 4096) throw std::invalid_argument(std::string(where) + ": token too long");
  config.token_hashes.push_back(sha256_hex(t));
}

}  // namespace

GatewayConfig gateway_config_from(const toml::table* file, const providers::EnvLookup& env) {
  GatewayConfig config;
  const toml::table* t = file != nullptr ? (*file)["gateway"].as_table() : nullptr;
  if (file != nullptr && file->contains("gateway") && t == nullptr) {
    throw std::invalid_argument("gateway: must be a table");
  }
  if (t != nullptr) {
    for (const auto& token : strings(*t, "tokens")) add_token(config, token, "gateway.tokens");
    for (auto& hash : strings(*t, "token_sha256")) {
      config.token_hashes.push_back(checked_hash(std::move(hash)));
    }
    config.reasoning_content = (*t)["reasoning_content"].value_or(config.reasoning_content);
    config.history = (*t)["history"].value_or(config.history);
    const auto wait = (*t)["first_event_wait_ms"].value_or(
        static_cast<std::int64_t>(config.first_event_wait.count()));
    if (wait < 0) throw std::invalid_argument("gateway: 'first_event_wait_ms' must be >= 0");
    config.first_event_wait = std::chrono::milliseconds(wait);
  }
  if (env) {
    if (auto list = env("CHATSTREAM_API_TOKENS")) {
      std::string_view rest = *list;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        add_token(config, rest.substr(0, comma), "CHATSTREAM_API_TOKENS");
        if (comma == std::string_view::npos) break;
        rest.remove_prefix(comma + 1);
      }
    }
  }
  std::sort(config.token_hashes.begin(), config.token_hashes.end());
  config.token_hashes.erase(std::unique(config.token_hashes.begin(), config.token_hashes.end()),
                            config.token_hashes.end());
  return config;
}

}  // namespace chatstream::api::openai
