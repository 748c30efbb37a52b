#include "app/config.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

#include "app/duration.hpp"
#include "support/process.hpp"

namespace chatstream::app {
namespace {

ConfigResult load(std::vector<std::string> args) {
  std::vector<const char*> argv = {"chatstream"};
  for (auto& a : args) argv.push_back(a.c_str());
  return load_config(static_cast<int>(argv.size()), argv.data());
}

class ConfigTest : public ::testing::Test {
 protected:
  void TearDown() override {
    unsetenv("CHATSTREAM_PORT");
    unsetenv("CHATSTREAM_SSE_HEARTBEAT");
    unsetenv("CHATSTREAM_CONFIG");
  }
};

TEST_F(ConfigTest, Defaults) {
  auto r = load({});
  ASSERT_TRUE(r.config) << r.message;
  EXPECT_EQ(r.config->server.bind_address, "127.0.0.1");
  EXPECT_EQ(r.config->server.port, 8080);
  EXPECT_EQ(r.config->server.max_body_bytes, 1024u * 1024u);
  EXPECT_EQ(r.config->server.sse_heartbeat, std::chrono::seconds(15));
  EXPECT_EQ(r.config->generation.persist_interval, std::chrono::milliseconds(250));
  EXPECT_TRUE(validate(*r.config).empty());
}

TEST_F(ConfigTest, PrecedenceFlagOverEnvOverFileOverDefault) {
  testing::TempDir dir;
  auto file = dir.path() / "c.toml";
  std::ofstream(file) << "port = 7000\nsse-heartbeat = \"3s\"\nmax_body_bytes = 2048\n"
                         "allowed-host = [\"a.example\", \"b.example\"]\n";
  auto from_file = load({"--config", file.string()});
  ASSERT_TRUE(from_file.config) << from_file.message;
  EXPECT_EQ(from_file.config->server.port, 7000);
  EXPECT_EQ(from_file.config->server.sse_heartbeat, std::chrono::seconds(3));
  EXPECT_EQ(from_file.config->server.max_body_bytes, 2048u);
  EXPECT_EQ(from_file.config->server.security.allowed_hosts.size(), 2u);

  setenv("CHATSTREAM_PORT", "7100", 1);
  setenv("CHATSTREAM_SSE_HEARTBEAT", "500ms", 1);
  auto from_env = load({"--config", file.string()});
  ASSERT_TRUE(from_env.config) << from_env.message;
  EXPECT_EQ(from_env.config->server.port, 7100);
  EXPECT_EQ(from_env.config->server.sse_heartbeat, std::chrono::milliseconds(500));
  EXPECT_EQ(from_env.config->server.max_body_bytes, 2048u);

  auto from_flag = load({"--config", file.string(), "--port", "7200"});
  ASSERT_TRUE(from_flag.config) << from_flag.message;
  EXPECT_EQ(from_flag.config->server.port, 7200);
  EXPECT_EQ(from_flag.config->server.sse_heartbeat, std::chrono::milliseconds(500));
}

TEST_F(ConfigTest, ErrorsAreReported) {
  auto bad_duration = load({"--write-timeout", "soon"});
  EXPECT_FALSE(bad_duration.config);
  EXPECT_NE(bad_duration.message.find("write-timeout"), std::string::npos);
  auto bad_port = load({"--port", "notaport"});
  EXPECT_FALSE(bad_port.config);
  EXPECT_NE(bad_port.exit_code, 0);
  testing::TempDir dir;
  auto file = dir.path() / "broken.toml";
  std::ofstream(file) << "port = [\n";
  auto broken = load({"--config", file.string()});
  EXPECT_FALSE(broken.config);
  EXPECT_NE(broken.message.find("broken.toml"), std::string::npos);
  std::ofstream(dir.path() / "wrongtype.toml") << "port = \"eighty\"\n";
  auto wrong = load({"--config", (dir.path() / "wrongtype.toml").string()});
  EXPECT_FALSE(wrong.config);
  EXPECT_NE(wrong.message.find("port"), std::string::npos);
}

TEST_F(ConfigTest, HelpListsOptionsWithDefaults) {
  auto r = load({"--help"});
  EXPECT_FALSE(r.config);
  EXPECT_EQ(r.exit_code, 0);
  for (const char* opt : {"--bind", "--port", "--max-body-bytes", "--sse-heartbeat",
                          "--allow-remote-unauthenticated", "CHATSTREAM_PORT", "8080"}) {
    EXPECT_NE(r.message.find(opt), std::string::npos) << opt;
  }
}

TEST_F(ConfigTest, RemoteBindNeedsExplicitOptIn) {
  auto r = load({"--bind", "0.0.0.0"});
  ASSERT_TRUE(r.config);
  EXPECT_FALSE(validate(*r.config).empty());
  auto ok = load({"--bind", "0.0.0.0", "--allow-remote-unauthenticated"});
  ASSERT_TRUE(ok.config);
  EXPECT_TRUE(validate(*ok.config).empty());
  auto bad = load({"--bind", "not-an-ip"});
  ASSERT_TRUE(bad.config);
  EXPECT_FALSE(validate(*bad.config).empty());
}

TEST(Duration, ParsesUnits) {
  EXPECT_EQ(parse_duration("250ms"), std::chrono::milliseconds(250));
  EXPECT_EQ(parse_duration("15s"), std::chrono::seconds(15));
  EXPECT_EQ(parse_duration("5m"), std::chrono::minutes(5));
  EXPECT_EQ(parse_duration("1h"), std::chrono::hours(1));
  EXPECT_EQ(parse_duration("1.5s"), std::chrono::milliseconds(1500));
  EXPECT_EQ(parse_duration("42"), std::chrono::milliseconds(42));
  EXPECT_FALSE(parse_duration("-1s"));
  EXPECT_FALSE(parse_duration("5 parsecs"));
  EXPECT_FALSE(parse_duration(""));
  EXPECT_EQ(format_duration(std::chrono::minutes(5)), "5m");
  EXPECT_EQ(format_duration(std::chrono::milliseconds(250)), "250ms");
}

}  // namespace
}  // namespace chatstream::app
