#include "auth/secrets.hpp"

#include <gtest/gtest.h>

#include <set>

namespace chatstream::auth {
namespace {

TEST(Secrets, Base64UrlKnownValues) {
  EXPECT_EQ(base64url(""), "");
  EXPECT_EQ(base64url("f"), "Zg");
  EXPECT_EQ(base64url("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64url(std::string("\xfb\xff", 2)), "-_8");
}

TEST(Secrets, RandomSecretsAreUniqueAndUrlSafe) {
  std::set<std::string> seen;
  for (int i = 0; i < 200; ++i) {
    auto s = new_session_secret();
    EXPECT_EQ(s.size(), 43u);
    EXPECT_EQ(
        s.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(std::move(s));
  }
  EXPECT_EQ(seen.size(), 200u);
}

TEST(Secrets, ApiTokenShapeAndPrefix) {
  auto t = new_api_token();
  EXPECT_TRUE(t.starts_with("cs_"));
  EXPECT_EQ(t.size(), 46u);
  EXPECT_TRUE(looks_like_api_token(t));
  EXPECT_FALSE(looks_like_api_token("sk-abc"));
  EXPECT_FALSE(looks_like_api_token("cs_short"));
  EXPECT_EQ(token_prefix(t), t.substr(0, 11));
  EXPECT_NE(new_api_token(), t);
}

TEST(Secrets, HashIsStableHexAndDistinct) {
  auto a = secret_hash("secret-a");
  EXPECT_EQ(a.size(), 64u);
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef"), std::string::npos);
  EXPECT_EQ(a, secret_hash("secret-a"));
  EXPECT_NE(a, secret_hash("secret-b"));
  EXPECT_EQ(a.find("secret"), std::string::npos);
}

TEST(Secrets, ConstantTimeEqual) {
  EXPECT_TRUE(constant_time_equal("abc", "abc"));
  EXPECT_FALSE(constant_time_equal("abc", "abd"));
  EXPECT_FALSE(constant_time_equal("abc", "abcd"));
  EXPECT_TRUE(constant_time_equal("", ""));
}

}  // namespace
}  // namespace chatstream::auth
