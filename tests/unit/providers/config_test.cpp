#include "providers/config.hpp"

#include <gtest/gtest.h>

#include <map>

namespace cp = chatstream::providers;

namespace {

cp::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

}  // namespace

TEST(ProviderConfig, NothingConfiguredGivesSimulatedOnly) {
  const auto configs = cp::provider_configs_from(nullptr, env_of({}));
  ASSERT_EQ(configs.size(), 1U);
  EXPECT_EQ(configs[0].kind, "simulated");
  EXPECT_EQ(configs[0].default_model, "simulated");
}

TEST(ProviderConfig, EnvShortcuts) {
  const auto configs = cp::provider_configs_from(nullptr, env_of({{"OPENAI_API_KEY", "sk-test-123"},
                                                                  {"ANTHROPIC_API_KEY", "ak-1"},
                                                                  {"OLLAMA_HOST", "10.0.0.5"}}));
  ASSERT_EQ(configs.size(), 4U);
  EXPECT_EQ(configs[0].name, "openai");
  EXPECT_EQ(configs[0].base_url, "https://api.openai.com/v1");
  EXPECT_EQ(configs[0].api_key.value, "sk-test-123");
  EXPECT_EQ(configs[1].kind, "anthropic");
  EXPECT_EQ(configs[2].base_url, "http://10.0.0.5:11434");
  EXPECT_EQ(configs[3].kind, "simulated");
}

TEST(ProviderConfig, OpenAiCompatibleBaseUrlWithoutKey) {
  const auto configs = cp::provider_configs_from(
      nullptr,
      env_of({{"OPENAI_BASE_URL", "http://127.0.0.1:8080/v1/"}, {"OPENAI_MODEL", "qwen"}}));
  ASSERT_EQ(configs.size(), 2U);
  EXPECT_EQ(configs[0].base_url, "http://127.0.0.1:8080/v1");
  EXPECT_TRUE(configs[0].api_key.empty());
  EXPECT_EQ(configs[0].default_model, "qwen");
}

TEST(ProviderConfig, TomlTables) {
  const auto file = toml::parse(R"(
[[providers]]
name = "local"
kind = "openai"
base_url = "http://127.0.0.1:8000/v1"
api_key_env = "LOCAL_KEY"
models = ["a", "b"]
default_model = "b"
headers = { "X-Team" = "blue" }

[[providers]]
kind = "simulated"
name = "sim"
tokens_per_second = 100.0
first_token_delay_ms = 5
seed = 7

[upstream]
connect_timeout_ms = 1234
max_retries = 0
)");
  const auto configs =
      cp::provider_configs_from(&file, env_of({{"LOCAL_KEY", "secret"}, {"OPENAI_API_KEY", "x"}}));
  ASSERT_EQ(configs.size(), 3U);  // local, sim, openai (shortcut)
  EXPECT_EQ(configs[0].name, "local");
  EXPECT_EQ(configs[0].api_key.value, "secret");
  EXPECT_EQ(configs[0].default_model, "b");
  ASSERT_EQ(configs[0].headers.size(), 1U);
  EXPECT_EQ(configs[0].headers[0].second, "blue");
  EXPECT_EQ(configs[1].simulated.seed, 7U);
  EXPECT_EQ(configs[1].simulated.first_token_delay.count(), 5);
  const auto http =
      cp::http_client_config_from(&file, env_of({{"HTTPS_PROXY", "http://proxy:3128"}}));
  EXPECT_EQ(http.connect_timeout.count(), 1234);
  EXPECT_EQ(http.retry.max_retries, 0);
  EXPECT_EQ(http.https_proxy, "http://proxy:3128");
}

TEST(ProviderConfig, InvalidTablesThrowWithoutKeys) {
  const auto file = toml::parse(R"(
[[providers]]
kind = "bogus"
api_key = "sk-super-secret"
)");
  try {
    cp::provider_configs_from(&file, env_of({}));
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("sk-super-secret"), std::string::npos);
  }
}
