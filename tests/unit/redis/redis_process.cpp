#include "unit/redis/redis_process.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <stdexcept>
#include <thread>

namespace chatstream::testing {

namespace {

int connect_local(unsigned short port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return -1;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd);
    return -1;
  }
  timeval tv{2, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

}  // namespace

unsigned short free_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = 0;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("cannot find a free port");
  }
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool port_open(unsigned short port) {
  int fd = connect_local(port);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

std::string redis_inline(unsigned short port, const std::string& command) {
  int fd = connect_local(port);
  if (fd < 0) return {};
  std::string line = command + "\r\n";
  if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    ::close(fd);
    return {};
  }
  std::string reply;
  char c = 0;
  while (reply.size() < 4096 && ::recv(fd, &c, 1, 0) == 1 && c != '\n') reply += c;
  ::close(fd);
  if (!reply.empty() && reply.back() == '\r') reply.pop_back();
  return reply;
}

RedisServer::RedisServer(const std::filesystem::path& dir, unsigned short port)
    : dir_(dir), port_(port ? port : free_port()) {
  start();
}

RedisServer::~RedisServer() {
  kill();
}

void RedisServer::start() {
  std::filesystem::create_directories(dir_);
  process_ = std::make_unique<Process>(
      std::vector<std::string>{"/usr/bin/redis-server", "--bind", "127.0.0.1", "--port",
                               std::to_string(port_), "--save", "", "--appendonly", "no", "--dir",
                               dir_.string()},
      dir_ / "redis.log");
  for (int i = 0; i < 200; ++i) {
    if (redis_inline(port_, "PING") == "+PONG") return;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  throw std::runtime_error("redis-server did not answer on port " + std::to_string(port_));
}

void RedisServer::kill() {
  if (!process_) return;
  process_->signal(SIGKILL);
  process_->wait_exit(std::chrono::seconds(10));
  process_.reset();
}

}  // namespace chatstream::testing
