// Provider and HTTP client configuration from the TOML file and the environment.
#include "providers/config.hpp"

#include <algorithm>
#include <cstdlib>
#include <stdexcept>

namespace chatstream::providers {
namespace {

std::optional<std::string> env_value(const EnvLookup& env, std::string_view name) {
  if (!env) return std::nullopt;
  auto v = env(name);
  if (v && v->empty()) return std::nullopt;
  return v;
}

std::string strip_slash(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

std::string default_base_url(std::string_view kind) {
  if (kind == "openai") return "https://api.openai.com/v1";
  if (kind == "anthropic") return "https://api.anthropic.com";
  if (kind == "ollama") return "http://127.0.0.1:11434";
  return {};
}

// OLLAMA_HOST may be "host", "host:port" or a full URL.
std::string ollama_url(std::string host) {
  if (host.find("://") == std::string::npos) host = "http://" + host;
  const auto authority = host.substr(host.find("://") + 3);
  if (authority.find(':') == std::string::npos && authority.find(']') == std::string::npos) {
    host = strip_slash(host) + ":11434";
  }
  return strip_slash(host);
}

std::vector<std::string> string_array(const toml::table& t, std::string_view key,
                                      const std::string& where) {
  std::vector<std::string> out;
  const auto* node = t.get(key);
  if (node == nullptr) return out;
  const auto* arr = node->as_array();
  if (arr == nullptr)
    throw std::invalid_argument(where + ": '" + std::string(key) + "' must be an array of strings");
  for (const auto& item : *arr) {
    const auto s = item.value<std::string>();
    if (!s)
      throw std::invalid_argument(where + ": '" + std::string(key) +
                                  "' must be an array of strings");
    out.push_back(*s);
  }
  return out;
}

void read_simulated(const toml::table& t, SimulatedConfig& sim) {
  sim.tokens_per_second = t["tokens_per_second"].value_or(sim.tokens_per_second);
  sim.jitter = t["jitter"].value_or(sim.jitter);
  sim.first_token_delay =
      std::chrono::milliseconds(t["first_token_delay_ms"].value_or(sim.first_token_delay.count()));
  sim.seed = static_cast<std::uint64_t>(t["seed"].value_or(std::int64_t{0}));
}

ProviderConfig read_provider(const toml::table& t, std::size_t index, const EnvLookup& env) {
  const std::string where = "providers[" + std::to_string(index) + "]";
  ProviderConfig pc;
  pc.kind = t["kind"].value_or(std::string{});
  if (pc.kind != "openai" && pc.kind != "anthropic" && pc.kind != "ollama" &&
      pc.kind != "simulated") {
    throw std::invalid_argument(where + ": 'kind' must be openai, anthropic, ollama or simulated");
  }
  pc.name = t["name"].value_or(pc.kind);
  pc.base_url = strip_slash(t["base_url"].value_or(default_base_url(pc.kind)));
  pc.api_key_env = t["api_key_env"].value_or(std::string{});
  if (!pc.api_key_env.empty()) {
    pc.api_key.value = env_value(env, pc.api_key_env).value_or("");
  } else if (auto literal = t["api_key"].value<std::string>()) {
    pc.api_key.value = *literal;
  }
  pc.models = string_array(t, "models", where);
  pc.default_model =
      t["default_model"].value_or(pc.models.empty() ? std::string{} : pc.models.front());
  if (!pc.default_model.empty() &&
      std::find(pc.models.begin(), pc.models.end(), pc.default_model) == pc.models.end()) {
    pc.models.insert(pc.models.begin(), pc.default_model);
  }
  if (const auto* headers = t["headers"].as_table()) {
    for (const auto& [k, v] : *headers) {
      const auto s = v.value<std::string>();
      if (!s) throw std::invalid_argument(where + ": header values must be strings");
      pc.headers.emplace_back(std::string(k.str()), *s);
    }
  }
  pc.anthropic_version = t["anthropic_version"].value_or(pc.anthropic_version);
  if (pc.kind == "simulated") read_simulated(t, pc.simulated);
  return pc;
}

bool has_name(const std::vector<ProviderConfig>& v, std::string_view name) {
  return std::any_of(v.begin(), v.end(), [&](const ProviderConfig& p) { return p.name == name; });
}

void add_env_shortcuts(std::vector<ProviderConfig>& out, const EnvLookup& env) {
  const auto openai_key = env_value(env, "OPENAI_API_KEY");
  const auto openai_url = env_value(env, "OPENAI_BASE_URL");
  if ((openai_key || openai_url) && !has_name(out, "openai")) {
    ProviderConfig pc;
    pc.name = "openai";
    pc.kind = "openai";
    pc.base_url = strip_slash(openai_url.value_or(default_base_url("openai")));
    pc.api_key_env = openai_key ? "OPENAI_API_KEY" : "";
    pc.api_key.value = openai_key.value_or("");
    if (auto models = env_value(env, "OPENAI_MODEL")) {
      pc.models = {*models};
    } else if (!openai_url) {
      pc.models = {"gpt-4o-mini", "gpt-4o", "gpt-4.1-mini"};
    }
    pc.default_model = pc.models.empty() ? "" : pc.models.front();
    out.push_back(std::move(pc));
  }
  if (auto key = env_value(env, "ANTHROPIC_API_KEY"); key && !has_name(out, "anthropic")) {
    ProviderConfig pc;
    pc.name = "anthropic";
    pc.kind = "anthropic";
    pc.base_url =
        strip_slash(env_value(env, "ANTHROPIC_BASE_URL").value_or(default_base_url("anthropic")));
    pc.api_key_env = "ANTHROPIC_API_KEY";
    pc.api_key.value = *key;
    pc.models = {"claude-sonnet-4-5", "claude-haiku-4-5"};
    pc.default_model = pc.models.front();
    out.push_back(std::move(pc));
  }
  if (auto host = env_value(env, "OLLAMA_HOST"); host && !has_name(out, "ollama")) {
    ProviderConfig pc;
    pc.name = "ollama";
    pc.kind = "ollama";
    pc.base_url = ollama_url(*host);
    pc.models = {env_value(env, "OLLAMA_MODEL").value_or("llama3.2")};
    pc.default_model = pc.models.front();
    out.push_back(std::move(pc));
  }
}

}  // namespace

std::vector<ProviderConfig> provider_configs_from(const toml::table* file_config, EnvLookup env) {
  std::vector<ProviderConfig> out;
  if (file_config != nullptr) {
    if (const auto* node = file_config->get("providers")) {
      const auto* arr = node->as_array();
      if (arr == nullptr)
        throw std::invalid_argument("'providers' must be an array of tables ([[providers]])");
      for (std::size_t i = 0; i < arr->size(); ++i) {
        const auto* t = (*arr)[i].as_table();
        if (t == nullptr)
          throw std::invalid_argument("providers[" + std::to_string(i) + "] must be a table");
        auto pc = read_provider(*t, i, env);
        if (has_name(out, pc.name)) {
          throw std::invalid_argument("providers[" + std::to_string(i) + "]: duplicate name '" +
                                      pc.name + "'");
        }
        out.push_back(std::move(pc));
      }
    }
  }
  add_env_shortcuts(out, env);
  const bool has_simulated = std::any_of(
      out.begin(), out.end(), [](const ProviderConfig& p) { return p.kind == "simulated"; });
  if (!has_simulated) {
    ProviderConfig pc;
    pc.name = "simulated";
    pc.kind = "simulated";
    pc.models = {"simulated"};
    pc.default_model = "simulated";
    out.push_back(std::move(pc));
  }
  return out;
}

HttpClientConfig http_client_config_from(const toml::table* file_config, EnvLookup env) {
  HttpClientConfig c;
  const toml::table* t = file_config != nullptr ? (*file_config)["upstream"].as_table() : nullptr;
  if (t != nullptr) {
    const auto ms = [&](std::string_view key, std::chrono::milliseconds def) {
      return std::chrono::milliseconds((*t)[key].value_or(def.count()));
    };
    c.connect_timeout = ms("connect_timeout_ms", c.connect_timeout);
    c.first_byte_timeout = ms("first_byte_timeout_ms", c.first_byte_timeout);
    c.idle_timeout = ms("idle_timeout_ms", c.idle_timeout);
    c.total_timeout = ms("total_timeout_ms", c.total_timeout);
    c.pool_idle_timeout = ms("pool_idle_timeout_ms", c.pool_idle_timeout);
    c.ca_file = (*t)["ca_file"].value_or(c.ca_file);
    c.use_system_ca = (*t)["use_system_ca"].value_or(c.use_system_ca);
    c.retry.max_retries = (*t)["max_retries"].value_or(c.retry.max_retries);
    c.retry.base_delay = ms("retry_base_delay_ms", c.retry.base_delay);
    c.retry.max_delay = ms("retry_max_delay_ms", c.retry.max_delay);
    c.retry.max_retry_after = ms("retry_max_retry_after_ms", c.retry.max_retry_after);
  }
  const auto either = [&](std::string_view upper, std::string_view lower_name) {
    if (auto v = env_value(env, lower_name)) return *v;
    return env_value(env, upper).value_or("");
  };
  c.https_proxy = either("HTTPS_PROXY", "https_proxy");
  c.http_proxy = either("HTTP_PROXY", "http_proxy");
  c.no_proxy = either("NO_PROXY", "no_proxy");
  return c;
}

EnvLookup process_env() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());  // NOLINT(concurrency-mt-unsafe)
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

}  // namespace chatstream::providers
