#include "harness.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/parse.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

namespace fake_test {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string fixtures_dir() {
  return CHATSTREAM_SOURCE_DIR "/tests/fixtures/upstream";
}

FakeProcess::FakeProcess(std::vector<std::string> extra_args) {
  char tmpl[] = "/tmp/fake-upstream-test-XXXXXX";
  if (!mkdtemp(tmpl)) throw std::runtime_error("mkdtemp");
  dir_ = tmpl;
  std::vector<std::string> args{CHATSTREAM_BINARY_DIR "/tools/fake-upstream/fake-upstream",
                                "--listen",
                                "127.0.0.1:0",
                                "--port-file",
                                dir_ + "/port",
                                "--fixtures",
                                fixtures_dir()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  const std::string out = dir_ + "/stdout";
  pid_ = fork();
  if (pid_ == 0) {
    const int fd = open(out.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  for (int i = 0; i < 400 && port_ == 0; ++i) {  // up to 10 s
    std::ifstream in(dir_ + "/port");
    unsigned p = 0;
    if (in >> p) port_ = static_cast<unsigned short>(p);
    if (port_ == 0) std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  if (port_ == 0) {
    stop();
    throw std::runtime_error("fake-upstream did not start: " + stdout_text());
  }
}

FakeProcess::~FakeProcess() {
  stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string FakeProcess::stdout_text() const {
  return read_file(dir_ + "/stdout");
}

int FakeProcess::stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  for (int i = 0; i < 200; ++i) {  // up to 5 s
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  kill(pid_, SIGKILL);
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return -1;
}

struct Client::Impl {
  asio::io_context ioc;
  tcp::socket socket{ioc};
  boost::beast::flat_buffer buf;

  // Reads once, waiting at most until `deadline`; false on timeout, EOF or error.
  bool read_once(std::chrono::steady_clock::time_point deadline, boost::system::error_code& ec) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    pollfd pfd{socket.native_handle(), POLLIN, 0};
    if (left.count() <= 0 || poll(&pfd, 1, static_cast<int>(left.count())) <= 0) {
      ec = asio::error::timed_out;
      return false;
    }
    const std::size_t n = socket.read_some(buf.prepare(16 * 1024), ec);
    buf.commit(n);
    return !ec;
  }
};

Client::Client(unsigned short port) : impl_(std::make_unique<Impl>()) {
  impl_->socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  impl_->socket.set_option(tcp::no_delay(true));
}

Client::~Client() = default;

void Client::close() {
  boost::system::error_code ec;
  impl_->socket.close(ec);
}

void Client::send_raw(const std::string& bytes) {
  asio::write(impl_->socket, asio::buffer(bytes));
}

Response Client::request(const std::string& method, const std::string& target,
                         const std::string& body, const Headers& headers) {
  std::string raw = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n";
  for (const auto& [k, v] : headers) raw += k + ": " + v + "\r\n";
  if (!body.empty() || method == "POST")
    raw +=
        "Content-Type: application/json\r\nContent-Length: " + std::to_string(body.size()) + "\r\n";
  raw += "\r\n" + body;
  send_raw(raw);

  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  parser.eager(true);
  if (method == "HEAD") parser.skip(true);
  Response r;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
  for (int i = 0; i < 1'000'000 && !parser.is_done(); ++i) {
    boost::system::error_code ec;
    if (impl_->buf.size() > 0) {
      const std::size_t used = parser.put(impl_->buf.data(), ec);
      impl_->buf.consume(used);
      if (ec == http::error::need_more) ec = {};
      if (ec) {
        r.error = ec.message();
        break;
      }
      if (parser.is_done()) break;
      if (used > 0 && impl_->buf.size() > 0) continue;
    }
    if (!impl_->read_once(deadline, ec)) {
      if (ec == asio::error::eof) {
        parser.put_eof(ec);
        if (!ec && parser.is_done()) break;
        if (!ec) ec = asio::error::eof;
      }
      r.error = ec.message();
      break;
    }
    ++reads_;
  }
  if (parser.is_header_done()) {
    r.status = parser.get().result_int();
    for (const auto& f : parser.get()) {
      std::string name(f.name_string());
      for (char& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      r.headers[name] = std::string(f.value());
    }
    r.body = parser.get().body();
  } else if (r.error.empty()) {
    r.error = "no response header";
  }
  return r;
}

std::string Client::read_until(const std::string& needle, std::size_t count,
                               std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  auto seen = [&] {
    const std::string s = boost::beast::buffers_to_string(impl_->buf.data());
    std::size_t n = 0;
    for (auto pos = s.find(needle); pos != std::string::npos; pos = s.find(needle, pos + 1)) ++n;
    return n;
  };
  for (int i = 0; i < 1'000'000 && seen() < count; ++i) {
    boost::system::error_code ec;
    if (!impl_->read_once(deadline, ec)) break;
    ++reads_;
  }
  std::string s = boost::beast::buffers_to_string(impl_->buf.data());
  impl_->buf.consume(impl_->buf.size());
  return s;
}

std::string Client::read_to_end(std::string& error, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  error.clear();
  for (int i = 0; i < 1'000'000; ++i) {
    boost::system::error_code ec;
    if (!impl_->read_once(deadline, ec)) {
      if (ec != asio::error::eof) error = ec.message();
      break;
    }
    ++reads_;
  }
  std::string s = boost::beast::buffers_to_string(impl_->buf.data());
  impl_->buf.consume(impl_->buf.size());
  return s;
}

std::string chat_body(const std::string& model, bool stream, const std::string& text,
                      bool include_usage) {
  std::string b = R"({"model":")" + model + R"(","stream":)" + (stream ? "true" : "false");
  if (include_usage) b += R"(,"stream_options":{"include_usage":true})";
  b += R"(,"messages":[{"role":"user","content":")" + text + R"("}]})";
  return b;
}

std::vector<SseEvent> parse_sse(const std::string& body) {
  std::vector<SseEvent> out;
  SseEvent cur;
  bool any = false;
  for (const auto& line : split_lines(body)) {
    if (line.empty()) {
      if (any) out.push_back(cur);
      cur = {};
      any = false;
    } else if (line.rfind("event: ", 0) == 0) {
      cur.event = line.substr(7);
      any = true;
    } else if (line.rfind("data: ", 0) == 0) {
      if (!cur.data.empty()) cur.data += "\n";
      cur.data += line.substr(6);
      any = true;
    }
  }
  return out;  // an unterminated last event is dropped, as the spec says
}

std::vector<std::string> split_lines(const std::string& body) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  for (std::size_t i = 0; i < body.size(); ++i) {
    if (body[i] != '\n') continue;
    lines.push_back(body.substr(start, i - start));
    start = i + 1;
  }
  return lines;  // a trailing partial line is left out
}

boost::json::value fake_requests(unsigned short port) {
  Client c(port);
  return boost::json::parse(c.request("GET", "/_fake/requests").body);
}

boost::json::value fake_stats(unsigned short port) {
  Client c(port);
  return boost::json::parse(c.request("GET", "/_fake/stats").body);
}

void clear_requests(unsigned short port) {
  Client c(port);
  c.request("DELETE", "/_fake/requests");
}

boost::json::value wait_for_outcome(unsigned short port, std::size_t index_from_end) {
  boost::json::value last;
  for (int i = 0; i < 200; ++i) {  // up to 5 s
    auto all = fake_requests(port);
    const auto& arr = all.as_array();
    if (arr.size() > index_from_end) {
      last = arr[arr.size() - 1 - index_from_end];
      if (last.at("outcome").as_string() != "in_progress") return last;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  return last;
}

}  // namespace fake_test
