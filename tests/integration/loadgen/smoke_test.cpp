// A 5-second smoke run of the load generator against fake-upstream: every stream must arrive
// whole (all tokens, same text), and the JSON must carry the numbers the benchmark driver reads.
#include <gtest/gtest.h>

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>
#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "support/process.hpp"

namespace chatstream::testing {
namespace {

using namespace std::chrono_literals;

class LoadgenSmoke : public ::testing::Test {
 protected:
  void SetUp() override {
    upstream_ = std::make_unique<Process>(
        std::vector<std::string>{built_program("tools/fake-upstream/fake-upstream").string(),
                                 "--listen", "127.0.0.1:0", "--port-file",
                                 (dir_.path() / "port").string(), "--max-records", "16"},
        dir_.path() / "upstream.log");
    auto port = wait_for_port_file(dir_.path() / "port", 10s, upstream_.get());
    ASSERT_TRUE(port) << upstream_->log();
    port_ = *port;
  }

  // Runs loadgen with `args`; returns its JSON result.
  boost::json::value run(std::vector<std::string> args) {
    auto json_path = dir_.path() / "result.json";
    std::vector<std::string> argv{built_program("bench/loadgen/loadgen").string(), "--port",
                                  std::to_string(port_), "--json", json_path.string()};
    argv.insert(argv.end(), args.begin(), args.end());
    Process loadgen(argv, dir_.path() / "loadgen.log");
    auto status = loadgen.wait_exit(60s);
    EXPECT_EQ(status, std::optional<int>(0)) << loadgen.log();
    std::ifstream in(json_path);
    std::stringstream text;
    text << in.rdbuf();
    boost::system::error_code ec;
    auto v = boost::json::parse(text.str(), ec);
    EXPECT_FALSE(ec) << text.str() << "\n" << loadgen.log();
    return v;
  }

  TempDir dir_;
  std::unique_ptr<Process> upstream_;
  unsigned short port_ = 0;
};

std::uint64_t u64(const boost::json::value& v, std::string_view a, std::string_view b = {}) {
  const auto& x = b.empty() ? v.at(a) : v.at(a).at(b);
  return x.is_uint64() ? x.get_uint64() : static_cast<std::uint64_t>(x.to_number<double>());
}

TEST_F(LoadgenSmoke, OpenAiStreamsForFiveSecondsArriveWhole) {
  auto r = run({"--kind", "openai", "--streams", "20", "--tokens", "40", "--delay-ms", "10",
                "--ramp", "0.5", "--duration", "5"});
  ASSERT_TRUE(r.is_object());
  std::uint64_t ok = u64(r, "ok");
  EXPECT_GE(ok, 20u);
  EXPECT_EQ(u64(r, "error_total"), 0u);
  EXPECT_EQ(u64(r, "tokens"), ok * 40);
  EXPECT_EQ(u64(r, "integrity", "content_checked"), ok);
  EXPECT_EQ(u64(r, "integrity", "content_mismatch"), 0u);
  EXPECT_EQ(u64(r, "ttft_ms", "n"), ok);
  EXPECT_EQ(u64(r, "gap_ms", "n"), ok * 39);
  EXPECT_EQ(u64(r, "peak_active"), 20u);
  EXPECT_GT(r.at("loadgen").at("cpu_s").to_number<double>(), 0.0);
  EXPECT_FALSE(r.at("timeline").at("tokens").as_array().empty());
}

TEST_F(LoadgenSmoke, PlainSseStreamsCheckIds) {
  auto r = run({"--kind", "sse", "--streams", "5", "--count", "10", "--tokens", "30"});
  EXPECT_EQ(u64(r, "ok"), 10u);
  EXPECT_EQ(u64(r, "tokens"), 300u);
  EXPECT_EQ(u64(r, "integrity", "id_gaps") + u64(r, "integrity", "id_dups"), 0u);
  EXPECT_EQ(u64(r, "integrity", "content_mismatch"), 0u);
}

TEST_F(LoadgenSmoke, UpstreamFaultsAreCountedAsErrors) {
  // A stream reset after 5 tokens must be an error, not a short success.
  auto r = run({"--kind", "openai", "--streams", "3", "--tokens", "20", "--model",
                "fake:tokens=20,fault=reset_after:5"});
  EXPECT_EQ(u64(r, "ok"), 0u);
  EXPECT_EQ(u64(r, "error_total"), 3u);
}

TEST_F(LoadgenSmoke, RefusedConnectionsAreErrors) {
  upstream_->signal(SIGTERM);
  upstream_->wait_exit(5s);
  auto r = run({"--kind", "openai", "--streams", "2", "--tokens", "5"});
  EXPECT_EQ(u64(r, "ok"), 0u);
  EXPECT_EQ(u64(r, "errors", "connect"), 2u);
}

}  // namespace
}  // namespace chatstream::testing
