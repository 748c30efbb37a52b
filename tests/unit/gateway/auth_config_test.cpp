#include <gtest/gtest.h>
#include <toml++/toml.h>

#include "api/openai/gateway.hpp"

namespace chatstream::api::openai {
namespace {

providers::EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

http::Request request(std::string authorization, bool loopback) {
  http::Request r;
  if (!authorization.empty()) r.headers.emplace_back("authorization", std::move(authorization));
  r.remote_is_loopback = loopback;
  return r;
}

TEST(Auth, Sha256KnownVector) {
  EXPECT_EQ(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST(Auth, WithoutTokensOnlyLoopback) {
  GatewayConfig config;
  EXPECT_FALSE(authorize(request("", true), config).has_value());
  EXPECT_FALSE(authorize(request("Bearer anything", true), config).has_value());
  auto denied = authorize(request("Bearer anything", false), config);
  ASSERT_TRUE(denied.has_value());
  EXPECT_EQ(denied->status, 401u);
  EXPECT_NE(denied->body.find("authentication_error"), std::string::npos);
}

TEST(Auth, TokensAreCheckedEvenFromLoopback) {
  GatewayConfig config;
  config.token_hashes = {sha256_hex("secret-1"), sha256_hex("secret-2")};
  EXPECT_FALSE(authorize(request("Bearer secret-2", false), config).has_value());
  EXPECT_FALSE(authorize(request("bearer  secret-1 ", true), config).has_value());
  auto wrong = authorize(request("Bearer secret-3", true), config);
  ASSERT_TRUE(wrong.has_value());
  EXPECT_NE(wrong->body.find("invalid_api_key"), std::string::npos);
  EXPECT_EQ(wrong->body.find("secret"), std::string::npos);
  auto missing = authorize(request("", true), config);
  ASSERT_TRUE(missing.has_value());
  EXPECT_NE(missing->body.find("missing_api_key"), std::string::npos);
  EXPECT_TRUE(authorize(request("Basic c2VjcmV0LTE=", true), config).has_value());
}

TEST(GatewayConfigTest, ReadsTomlAndEnvironment) {
  auto file = toml::parse(R"(
[gateway]
tokens = ["tok-a"]
token_sha256 = ["BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"]
reasoning_content = false
first_event_wait_ms = 250
history = true
)");
  auto config = gateway_config_from(&file, env_of({{"CHATSTREAM_API_TOKENS", " tok-b, ,tok-a"}}));
  std::vector<std::string> expected = {sha256_hex("tok-a"), sha256_hex("abc"), sha256_hex("tok-b")};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(config.token_hashes, expected);
  EXPECT_FALSE(config.reasoning_content);
  EXPECT_TRUE(config.history);
  EXPECT_EQ(config.first_event_wait, std::chrono::milliseconds(250));
}

TEST(GatewayConfigTest, DefaultsAndErrors) {
  auto config = gateway_config_from(nullptr, env_of({}));
  EXPECT_TRUE(config.token_hashes.empty());
  EXPECT_TRUE(config.reasoning_content);
  auto bad_hash = toml::parse("[gateway]\ntoken_sha256 = [\"xyz\"]\n");
  EXPECT_THROW(gateway_config_from(&bad_hash, env_of({})), std::invalid_argument);
  auto bad_type = toml::parse("[gateway]\ntokens = \"secret\"\n");
  try {
    gateway_config_from(&bad_type, env_of({}));
    ADD_FAILURE() << "expected a throw";
  } catch (const std::invalid_argument& e) {
    EXPECT_EQ(std::string(e.what()).find("secret"), std::string::npos);
  }
}

}  // namespace
}  // namespace chatstream::api::openai
