#include "integration/cluster/cluster.hpp"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

namespace chatstream::testing {
namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path cluster_server_binary() {
  if (const char* b = std::getenv("CHATSTREAM_CLUSTER_BINARY"); b && *b) return b;
  return built_program("src/app/chatstream");
}

bool server_supports_redis() {
  TempDir dir;
  Process p({cluster_server_binary().string(), "--help"}, dir.path() / "help.log");
  p.wait_exit(20s);
  return p.log().find("--redis") != std::string::npos;
}

Cluster::Cluster(const std::string& postgres_url, int instances,
                 std::vector<std::string> extra_args)
    : postgres_url_(postgres_url),
      extra_args_(std::move(extra_args)),
      instances_(static_cast<std::size_t>(instances)) {
  redis_ = std::make_unique<RedisServer>(dir_.path() / "redis");
  auto fake_port_file = dir_.path() / "fake.port";
  fake_ = std::make_unique<Process>(
      std::vector<std::string>{built_program("tools/fake-upstream/fake-upstream").string(),
                               "--listen", "127.0.0.1:0", "--port-file", fake_port_file.string(),
                               "--fixtures", CHATSTREAM_SOURCE_DIR "/tests/fixtures/upstream"},
      dir_.path() / "fake.log");
  auto fp = wait_for_port_file(fake_port_file, 20s, fake_.get());
  if (!fp) throw std::runtime_error("fake-upstream did not start");
  fake_port_ = *fp;
  std::ofstream(dir_.path() / "chatstream.toml")
      << "[[providers]]\nname = \"oa\"\nkind = \"openai\"\nbase_url = \"http://127.0.0.1:"
      << fake_port_ << "/v1\"\napi_key = \"sk-test-cluster\"\n"
      << "models = [\"fake:tokens=50,delay_ms=5\"]\n";
  for (int i = 0; i < instances; ++i) {
    instances_[static_cast<std::size_t>(i)].name = std::string(1, static_cast<char>('a' + i));
    start_instance(i);
  }
  start_nginx();
}

Cluster::~Cluster() {
  if (nginx_) {
    nginx_->signal(SIGQUIT);
    if (!nginx_->wait_exit(10s)) nginx_->signal(SIGKILL);
    nginx_->wait_exit(10s);
  }
  for (auto& in : instances_) {
    if (in.process) {
      in.process->signal(SIGTERM);
      if (!in.process->wait_exit(15s)) in.process->signal(SIGKILL);
    }
  }
}

void Cluster::start_instance(int i) {
  auto& in = instances_.at(static_cast<std::size_t>(i));
  auto base = dir_.path() / in.name;
  fs::create_directories(base / "data");
  fs::create_directories(base / "web");
  auto port_file = base / "port";
  fs::remove(port_file);
  std::vector<std::string> argv{cluster_server_binary().string(),
                                "--port",
                                "0",
                                "--port-file",
                                port_file.string(),
                                "--config",
                                (dir_.path() / "chatstream.toml").string(),
                                "--database",
                                postgres_url_,
                                "--redis",
                                redis_->url(),
                                "--instance-id",
                                "test-" + in.name,
                                "--lease-ttl",
                                "2s",
                                "--data-dir",
                                (base / "data").string(),
                                "--web-root",
                                (base / "web").string(),
                                "--threads",
                                "2",
                                "--auto-titles",
                                "false"};
  argv.insert(argv.end(), extra_args_.begin(), extra_args_.end());
  in.process = std::make_unique<Process>(std::move(argv), base / "server.log");
  auto port = wait_for_port_file(port_file, 30s, in.process.get());
  if (!port) throw std::runtime_error("instance " + in.name + " did not start:\n" + log(i));
  in.port = *port;
}

void Cluster::start_nginx() {
  auto d = dir_.path() / "nginx";
  fs::create_directories(d / "tmp");
  nginx_port_ = free_port();
  std::ofstream conf(d / "nginx.conf");
  if (::geteuid() == 0) conf << "user root;\n";
  conf << "worker_processes 1;\npid " << (d / "nginx.pid").string() << ";\n"
       << "events { worker_connections 512; }\nhttp {\n  access_log off;\n";
  for (const char* t : {"client_body", "proxy", "fastcgi", "uwsgi", "scgi"}) {
    conf << "  " << t << "_temp_path " << (d / "tmp" / t).string() << ";\n";
  }
  conf << "  upstream chatstream {\n";
  for (const auto& in : instances_) conf << "    server 127.0.0.1:" << in.port << ";\n";
  conf << "    keepalive 16;\n  }\n"
       << "  server {\n    listen 127.0.0.1:" << nginx_port_ << ";\n"
       << "    location / {\n      proxy_pass http://chatstream;\n"
       << "      proxy_http_version 1.1;\n      proxy_set_header Connection \"\";\n"
       << "      proxy_set_header Host $host;\n      proxy_buffering off;\n"
       << "      proxy_read_timeout 1h;\n    }\n  }\n}\n";
  conf.close();
  nginx_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/sbin/nginx", "-p", d.string(), "-c",
                               (d / "nginx.conf").string(), "-e", (d / "error.log").string(), "-g",
                               "daemon off;"},
      d / "nginx.out");
  for (int i = 0; i < 400 && !port_open(nginx_port_); ++i) {
    if (!nginx_->running()) break;
    std::this_thread::sleep_for(25ms);
  }
  if (!port_open(nginx_port_)) throw std::runtime_error("nginx did not start:\n" + nginx_->log());
}

std::string Cluster::log(int i) const {
  const auto& in = instances_.at(static_cast<std::size_t>(i));
  return in.process ? in.process->log() : std::string();
}

void Cluster::kill(int i) {
  auto& in = instances_.at(static_cast<std::size_t>(i));
  in.process->signal(SIGKILL);
  in.process->wait_exit(10s);
  in.killed = true;
}

std::vector<std::string> Cluster::stop_instances() {
  std::vector<std::string> problems;
  for (auto& in : instances_) {
    if (!in.process || in.killed) continue;
    in.process->signal(SIGTERM);
    auto status = in.process->wait_exit(30s);
    if (!status) {
      in.process->signal(SIGKILL);
      in.process->wait_exit(10s);
    }
    auto log = in.process->log();
    if (!status || *status != 0) {
      problems.push_back("instance " + in.name + " exited with " +
                         (status ? std::to_string(*status) : std::string("a timeout")));
    }
    if (log.find("AddressSanitizer") != std::string::npos ||
        log.find("runtime error:") != std::string::npos ||
        log.find("LeakSanitizer") != std::string::npos) {
      problems.push_back("instance " + in.name + " has a sanitizer report:\n" + log);
    }
    in.killed = true;  // stopped and checked
  }
  return problems;
}

}  // namespace chatstream::testing
