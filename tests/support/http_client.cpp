#include "support/http_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace chatstream::testing {
namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::string HttpResponse::header(const std::string& name) const {
  auto it = headers.find(lower(name));
  return it == headers.end() ? std::string() : it->second;
}

RawConnection::RawConnection(unsigned short port, int receive_buffer) {
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd_ < 0) throw std::runtime_error("socket failed");
  if (receive_buffer > 0) {
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  }
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    ::close(fd_);
    throw std::runtime_error(std::string("connect failed: ") + std::strerror(errno));
  }
}

RawConnection::~RawConnection() {
  if (fd_ >= 0) ::close(fd_);
}

bool RawConnection::send_nothrow(std::string_view bytes) {
  while (!bytes.empty()) {
    ssize_t n = ::send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL);
    if (n <= 0) return false;
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}

void RawConnection::send(std::string_view bytes) {
  if (!send_nothrow(bytes)) throw std::runtime_error("send failed");
}

bool RawConnection::fill(std::chrono::milliseconds timeout) {
  if (eof_) return false;
  pollfd p{fd_, POLLIN, 0};
  int r = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (r <= 0) return false;
  char buf[65536];
  ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
  if (n <= 0) {
    eof_ = true;
    return false;
  }
  buffer_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::optional<std::string> RawConnection::read_some(std::chrono::milliseconds timeout) {
  if (buffer_.empty()) fill(timeout);
  if (buffer_.empty() && eof_) return std::nullopt;
  std::string out;
  out.swap(buffer_);
  return out;
}

std::string RawConnection::read_until(std::string_view needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (buffer_.find(needle) == std::string::npos) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0 || eof_) break;
    fill(left);
  }
  std::string out;
  out.swap(buffer_);
  return out;
}

bool RawConnection::wait_closed(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!eof_) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    fill(left);
    buffer_.clear();
  }
  return true;
}

std::optional<HttpResponse> RawConnection::read_response(std::chrono::milliseconds timeout,
                                                         bool head_request) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  auto left = [&] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(deadline -
                                                                 std::chrono::steady_clock::now());
  };
  std::size_t head_end;
  while ((head_end = buffer_.find("\r\n\r\n")) == std::string::npos) {
    if (left().count() <= 0 || (!fill(left()) && eof_)) return std::nullopt;
  }
  HttpResponse res;
  std::string head = buffer_.substr(0, head_end);
  buffer_.erase(0, head_end + 4);
  auto line_end = head.find("\r\n");
  std::string status_line = head.substr(0, line_end);
  auto sp1 = status_line.find(' ');
  res.status = std::stoi(status_line.substr(sp1 + 1, 3));
  res.reason = status_line.size() > sp1 + 5 ? status_line.substr(sp1 + 5) : "";
  std::size_t pos = line_end == std::string::npos ? head.size() : line_end + 2;
  while (pos < head.size()) {
    auto e = head.find("\r\n", pos);
    if (e == std::string::npos) e = head.size();
    std::string line = head.substr(pos, e - pos);
    auto colon = line.find(':');
    if (colon != std::string::npos) {
      std::string value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.erase(0, 1);
      res.headers[lower(line.substr(0, colon))] = value;
    }
    pos = e + 2;
  }
  if (head_request || res.status == 204 || res.status == 304 || res.status / 100 == 1) {
    return res;
  }
  if (lower(res.header("transfer-encoding")).find("chunked") != std::string::npos) {
    for (;;) {
      std::size_t crlf;
      while ((crlf = buffer_.find("\r\n")) == std::string::npos) {
        if (left().count() <= 0 || (!fill(left()) && eof_)) return std::nullopt;
      }
      std::size_t size = std::stoul(buffer_.substr(0, crlf), nullptr, 16);
      while (buffer_.size() < crlf + 2 + size + 2) {
        if (left().count() <= 0 || (!fill(left()) && eof_)) return std::nullopt;
      }
      res.body.append(buffer_, crlf + 2, size);
      buffer_.erase(0, crlf + 2 + size + 2);
      if (size == 0) break;
    }
    return res;
  }
  std::string cl = res.header("content-length");
  if (!cl.empty()) {
    std::size_t n = std::stoul(cl);
    while (buffer_.size() < n) {
      if (left().count() <= 0 || (!fill(left()) && eof_)) return std::nullopt;
    }
    res.body = buffer_.substr(0, n);
    buffer_.erase(0, n);
    return res;
  }
  while (!eof_ && left().count() > 0) fill(left());
  res.body.swap(buffer_);
  return res;
}

HttpResponse http_request(unsigned short port, const std::string& method, const std::string& target,
                          const std::string& body, const std::vector<std::string>& headers) {
  RawConnection c(port);
  std::string req = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(port) +
                    "\r\nConnection: close\r\n";
  for (const auto& h : headers) req += h + "\r\n";
  if (!body.empty() || method == "POST" || method == "PATCH" || method == "PUT") {
    req += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  }
  req += "\r\n" + body;
  c.send(req);
  auto res = c.read_response(std::chrono::seconds(30), method == "HEAD");
  if (!res) throw std::runtime_error("no response to " + method + " " + target);
  return *res;
}

std::vector<SseFrame> parse_sse_frames(const std::string& body) {
  std::vector<SseFrame> frames;
  SseFrame cur;
  bool any = false;
  bool has_data = false;
  std::size_t pos = 0;
  while (pos < body.size()) {
    auto e = body.find('\n', pos);
    if (e == std::string::npos) break;
    std::string line = body.substr(pos, e - pos);
    pos = e + 1;
    if (line.empty()) {
      if (any) frames.push_back(cur);
      cur = {};
      any = false;
      has_data = false;
      continue;
    }
    if (line[0] == ':') continue;
    auto colon = line.find(':');
    std::string field = line.substr(0, colon);
    std::string value = colon == std::string::npos ? "" : line.substr(colon + 1);
    if (!value.empty() && value[0] == ' ') value.erase(0, 1);
    if (field == "event") {
      cur.event = value;
    } else if (field == "id") {
      cur.id = value;
    } else if (field == "data") {
      if (has_data) cur.data += "\n";
      cur.data += value;
      has_data = true;
    } else {
      continue;
    }
    any = true;
  }
  return frames;
}

}  // namespace chatstream::testing
