#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace chatstream::testing {
namespace fs = std::filesystem;

TempDir::TempDir() {
  std::random_device rd;
  for (int i = 0; i < 100; ++i) {
    auto candidate = fs::temp_directory_path() /
                     ("chatstream-test-" + std::to_string(::getpid()) + "-" + std::to_string(rd()));
    std::error_code ec;
    if (fs::create_directory(candidate, ec)) {
      path_ = candidate;
      return;
    }
  }
  throw std::runtime_error("cannot create a temporary directory");
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path_, ec);
}

Process::Process(std::vector<std::string> argv, const fs::path& log_file,
                 std::vector<std::string> extra_env, const fs::path& stdin_file)
    : log_file_(log_file) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_file.c_str(), O_WRONLY | O_CREAT | O_APPEND,
                                   0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  const std::string input = stdin_file.empty() ? std::string("/dev/null") : stdin_file.string();
  posix_spawn_file_actions_addopen(&actions, 0, input.c_str(), O_RDONLY, 0);
  std::vector<char*> args;
  for (auto& a : argv) args.push_back(a.data());
  args.push_back(nullptr);
  std::vector<std::string> env_storage;
  for (char** e = environ; *e; ++e) env_storage.emplace_back(*e);
  for (auto& e : extra_env) env_storage.push_back(e);
  std::vector<char*> env;
  for (auto& e : env_storage) env.push_back(e.data());
  env.push_back(nullptr);
  int rc = posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), env.data());
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait_exit(std::chrono::seconds(10));
  }
}

bool Process::running() {
  if (status_ || pid_ <= 0) return false;
  int st = 0;
  pid_t r = ::waitpid(pid_, &st, WNOHANG);
  if (r == pid_) {
    status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return false;
  }
  return true;
}

void Process::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::optional<int> Process::wait_exit(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return status_;
}

std::string Process::log() const {
  std::ifstream in(log_file_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::optional<unsigned short> wait_for_port_file(const fs::path& file,
                                                 std::chrono::milliseconds timeout,
                                                 Process* process) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in(file);
    unsigned port = 0;
    if (in >> port && port > 0 && port < 65536) return static_cast<unsigned short>(port);
    if (process && !process->running()) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::nullopt;
}

fs::path built_program(const std::string& relative) {
  return fs::path(CHATSTREAM_BINARY_DIR) / relative;
}

ChatstreamServer::ChatstreamServer(std::vector<std::string> extra_args,
                                   std::vector<std::string> extra_env) {
  data_dir_ = dir_.path() / "data";
  fs::create_directories(data_dir_);
  auto port_file = dir_.path() / "port";
  std::vector<std::string> argv = {built_program("src/app/chatstream").string(), "--port", "0",
                                   "--port-file", port_file.string()};
  // Defaults a test may override by passing the option itself.
  auto given = [&extra_args](std::string_view opt) {
    return std::find(extra_args.begin(), extra_args.end(), opt) != extra_args.end();
  };
  if (!given("--data-dir")) argv.insert(argv.end(), {"--data-dir", data_dir_.string()});
  if (!given("--web-root")) argv.insert(argv.end(), {"--web-root", web_root().string()});
  if (!given("--threads")) {
    // Two threads unless the run asks for another count (suites run again on one thread).
    const char* threads = std::getenv("CHATSTREAM_TEST_THREADS");
    argv.insert(argv.end(), {"--threads", threads != nullptr && *threads ? threads : "2"});
  }
  for (auto& a : extra_args) argv.push_back(std::move(a));
  process_ = std::make_unique<Process>(argv, dir_.path() / "server.log", std::move(extra_env));
  auto port = wait_for_port_file(port_file, std::chrono::seconds(20), process_.get());
  if (!port) throw std::runtime_error("chatstream did not start:\n" + process_->log());
  port_ = *port;
}

}  // namespace chatstream::testing
