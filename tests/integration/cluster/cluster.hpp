// Test support for the cluster test: PostgreSQL (given), Redis, N chatstream instances sharing
// them, nginx in front of them and the fake upstream; every process stopped by PID.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "support/process.hpp"
#include "unit/redis/redis_process.hpp"

namespace chatstream::testing {

// The server binary: $CHATSTREAM_CLUSTER_BINARY, else the one this build made.
std::filesystem::path cluster_server_binary();
// True when that binary knows --redis.
bool server_supports_redis();

class Cluster {
 public:
  // Needs CHATSTREAM_TEST_POSTGRES_URL. Throws when something does not start. `extra_args`
  // are given to every instance (e.g. --mode multi-user).
  Cluster(const std::string& postgres_url, int instances = 3,
          std::vector<std::string> extra_args = {});
  ~Cluster();

  unsigned short port(int i) const { return instances_.at(i).port; }
  unsigned short nginx_port() const { return nginx_port_; }
  unsigned short fake_port() const { return fake_port_; }
  RedisServer& redis() { return *redis_; }
  std::string log(int i) const;
  // SIGKILL, no clean-up of any kind.
  void kill(int i);
  // Stops every instance with SIGTERM; returns what went wrong (an exit status other than 0,
  // a sanitizer report in a log), empty when nothing did. Killed instances are not checked.
  std::vector<std::string> stop_instances();

 private:
  struct Instance {
    std::string name;
    std::unique_ptr<Process> process;
    unsigned short port = 0;
    bool killed = false;
  };
  void start_instance(int i);
  void start_nginx();

  TempDir dir_;
  std::string postgres_url_;
  std::vector<std::string> extra_args_;
  std::unique_ptr<RedisServer> redis_;
  std::unique_ptr<Process> fake_;
  unsigned short fake_port_ = 0;
  std::vector<Instance> instances_;
  std::unique_ptr<Process> nginx_;
  unsigned short nginx_port_ = 0;
};

}  // namespace chatstream::testing
