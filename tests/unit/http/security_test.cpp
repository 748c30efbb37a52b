#include "http/security.hpp"

#include <gtest/gtest.h>

#include "http/url.hpp"

namespace chatstream::http {
namespace {

Request make(std::string method, std::string host, std::string origin = {}) {
  Request r;
  r.method = std::move(method);
  r.path = "/api/x";
  if (!host.empty()) r.headers.emplace_back("host", std::move(host));
  if (!origin.empty()) r.headers.emplace_back("origin", std::move(origin));
  return r;
}

TEST(Security, HostWithoutPort) {
  EXPECT_EQ(host_without_port("Example.COM:8080"), "example.com");
  EXPECT_EQ(host_without_port("[::1]:80"), "[::1]");
  EXPECT_EQ(host_without_port("localhost"), "localhost");
}

TEST(Security, LoopbackHostsAllowedOthersRefused) {
  SecurityConfig cfg;
  EXPECT_FALSE(check_request(make("GET", "127.0.0.1:8080"), cfg));
  EXPECT_FALSE(check_request(make("GET", "localhost:8080"), cfg));
  EXPECT_FALSE(check_request(make("GET", "[::1]:8080"), cfg));
  auto refused = check_request(make("GET", "attacker.example:8080"), cfg);
  ASSERT_TRUE(refused);
  EXPECT_EQ(refused->status, 403u);
  cfg.allowed_hosts = {"chat.example.org"};
  EXPECT_FALSE(check_request(make("GET", "chat.example.org"), cfg));
}

TEST(Security, MissingHostOnHttp11) {
  SecurityConfig cfg;
  auto r = check_request(make("GET", ""), cfg);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400u);
  auto old = make("GET", "");
  old.version = 10;
  EXPECT_FALSE(check_request(old, cfg));
}

TEST(Security, CrossOriginStateChangesRefused) {
  SecurityConfig cfg;
  EXPECT_FALSE(check_request(make("POST", "127.0.0.1:8080", "http://127.0.0.1:8080"), cfg));
  EXPECT_FALSE(check_request(make("POST", "127.0.0.1:8080"), cfg));  // curl: no Origin
  EXPECT_TRUE(check_request(make("POST", "127.0.0.1:8080", "http://evil.example"), cfg));
  EXPECT_TRUE(check_request(make("DELETE", "127.0.0.1:8080", "null"), cfg));
  EXPECT_TRUE(check_request(make("PATCH", "127.0.0.1:8080", "http://127.0.0.1:9999"), cfg));
  EXPECT_FALSE(check_request(make("GET", "127.0.0.1:8080", "http://evil.example"), cfg));
  auto r = make("POST", "127.0.0.1:8080");
  r.headers.emplace_back("sec-fetch-site", "cross-site");
  EXPECT_TRUE(check_request(r, cfg));
}

TEST(Url, PercentDecoding) {
  EXPECT_EQ(percent_decode("a%20b"), "a b");
  EXPECT_EQ(percent_decode("a+b", true), "a b");
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_FALSE(percent_decode("%zz"));
  EXPECT_FALSE(percent_decode("%2"));
  EXPECT_FALSE(percent_decode("%00"));
  EXPECT_EQ(find_query_param("a=1&b=x%26y&c", "b"), "x&y");
  EXPECT_EQ(find_query_param("a=1&c", "c"), "");
  EXPECT_FALSE(find_query_param("a=1", "b"));
}

}  // namespace
}  // namespace chatstream::http
