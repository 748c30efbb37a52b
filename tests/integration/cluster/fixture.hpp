// Test support: a fixture with a cluster of instances (PostgreSQL schema of its own, Redis,
// nginx, fake upstream), skipped without CHATSTREAM_TEST_POSTGRES_URL or a --redis binary.
#pragma once

#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "integration/cluster/cluster.hpp"

namespace chatstream::testing {

class ClusterFixture : public ::testing::Test {
 protected:
  // `schema_prefix`: names the test's PostgreSQL schema; `instance_args`: extra options of
  // every instance.
  explicit ClusterFixture(std::string schema_prefix, std::vector<std::string> instance_args = {});
  void SetUp() override;
  void TearDown() override;

  // Runs one statement; the first line of its output (nullopt on failure).
  static std::optional<std::string> psql(const std::string& url, const std::string& sql);

  std::string base_url_, schema_, pg_;
  std::unique_ptr<Cluster> cluster_;

 private:
  std::string schema_prefix_;
  std::vector<std::string> instance_args_;
};

}  // namespace chatstream::testing
