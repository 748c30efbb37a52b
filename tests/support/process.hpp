// Test support: start a program as a child process, wait for the port it writes to a
// --port-file, and stop it by PID. Blocking; for tests only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace chatstream::testing {

// A temporary directory removed (recursively) on destruction.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

class Process {
 public:
  // Starts `argv[0]` with arguments; stdout and stderr go to `log_file`; stdin reads
  // `stdin_file` (empty: /dev/null).
  Process(std::vector<std::string> argv, const std::filesystem::path& log_file,
          std::vector<std::string> extra_env = {}, const std::filesystem::path& stdin_file = {});
  ~Process();  // SIGKILL if still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  bool running();
  // Sends a signal (SIGTERM by default).
  void signal(int signo);
  // Waits up to `timeout` for the exit; returns the exit status (or 128+signal), nullopt on
  // timeout.
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  std::string log() const;

 private:
  pid_t pid_ = -1;
  std::optional<int> status_;
  std::filesystem::path log_file_;
};

// Waits until `file` contains a port number (written atomically by the server).
std::optional<unsigned short> wait_for_port_file(const std::filesystem::path& file,
                                                 std::chrono::milliseconds timeout,
                                                 Process* process = nullptr);

// Path of a program built by this project, e.g. "src/app/chatstream".
std::filesystem::path built_program(const std::string& relative);

// A running chatstream on an ephemeral port with its own data dir; stopped on destruction.
class ChatstreamServer {
 public:
  explicit ChatstreamServer(std::vector<std::string> extra_args = {},
                            std::vector<std::string> extra_env = {});
  unsigned short port() const { return port_; }
  Process& process() { return *process_; }
  // The data directory this server was started with (the default one unless overridden).
  const std::filesystem::path& data_dir() const { return data_dir_; }
  std::filesystem::path web_root() const { return dir_.path() / "web"; }
  std::string log() const { return process_->log(); }

 private:
  TempDir dir_;
  std::filesystem::path data_dir_;
  std::unique_ptr<Process> process_;
  unsigned short port_ = 0;
};

}  // namespace chatstream::testing
