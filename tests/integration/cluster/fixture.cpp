#include "integration/cluster/fixture.hpp"

#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <random>

#include "support/process.hpp"

namespace chatstream::testing {
using namespace std::chrono_literals;

ClusterFixture::ClusterFixture(std::string schema_prefix, std::vector<std::string> instance_args)
    : schema_prefix_(std::move(schema_prefix)), instance_args_(std::move(instance_args)) {}

void ClusterFixture::SetUp() {
  const char* pg = std::getenv("CHATSTREAM_TEST_POSTGRES_URL");
  if (!pg || !*pg) GTEST_SKIP() << "CHATSTREAM_TEST_POSTGRES_URL is not set (scripts/test sets it)";
  if (!server_supports_redis()) {
    GTEST_SKIP() << cluster_server_binary() << " has no --redis option";
  }
  // A schema of its own: other suites may use the same database at the same time.
  base_url_ = pg;
  schema_ = schema_prefix_ + "_" + std::to_string(::getpid()) + "_" +
            std::to_string(std::random_device{}());
  ASSERT_TRUE(psql(base_url_, "CREATE SCHEMA " + schema_)) << "cannot create a schema";
  pg_ = base_url_ + (base_url_.find('?') == std::string::npos ? "?" : "&") +
        "options=-csearch_path%3D" + schema_;
  cluster_ = std::make_unique<Cluster>(pg_, 3, instance_args_);
}

void ClusterFixture::TearDown() {
  if (HasFailure() && cluster_) {
    for (int i = 0; i < 3; ++i) std::cerr << "--- instance " << i << "\n" << cluster_->log(i);
  }
  if (cluster_) {
    for (const auto& problem : cluster_->stop_instances()) ADD_FAILURE() << problem;
  }
  cluster_.reset();
  if (!schema_.empty()) psql(base_url_, "DROP SCHEMA IF EXISTS " + schema_ + " CASCADE");
}

std::optional<std::string> ClusterFixture::psql(const std::string& url, const std::string& sql) {
  TempDir d;
  Process p({"/usr/bin/psql", url, "-v", "ON_ERROR_STOP=1", "-Atqc", sql}, d.path() / "psql.log");
  auto status = p.wait_exit(20s);
  if (!status || *status != 0) return std::nullopt;
  auto out = p.log();
  return out.substr(0, out.find('\n'));
}

}  // namespace chatstream::testing
