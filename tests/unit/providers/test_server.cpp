#include "test_server.hpp"

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/write.hpp>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <optional>

namespace chatstream::testing {

namespace asio = boost::asio;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

// Blocking byte stream over plain TCP or TLS.
class Stream final : public ServerConn {
 public:
  Stream(tcp::socket sock, ssl::context* ctx) : sock_(std::move(sock)) {
    if (ctx != nullptr) tls_.emplace(sock_, *ctx);
  }
  bool handshake() {
    if (!tls_) return true;
    boost::system::error_code ec;
    tls_->handshake(ssl::stream_base::server, ec);
    return !ec;
  }
  std::size_t read_some(char* buf, std::size_t n, boost::system::error_code& ec) {
    return tls_ ? tls_->read_some(asio::buffer(buf, n), ec)
                : sock_.read_some(asio::buffer(buf, n), ec);
  }
  bool write(const std::string& bytes) override {
    boost::system::error_code ec;
    if (tls_) {
      asio::write(*tls_, asio::buffer(bytes), ec);
    } else {
      asio::write(sock_, asio::buffer(bytes), ec);
    }
    return !ec;
  }
  bool wait_peer_close(std::chrono::milliseconds limit) override {
    const auto end = std::chrono::steady_clock::now() + limit;
    char buf[4096];
    while (std::chrono::steady_clock::now() < end) {
      pollfd p{sock_.native_handle(), POLLIN | POLLRDHUP, 0};
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          end - std::chrono::steady_clock::now());
      if (::poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
      boost::system::error_code ec;
      read_some(buf, sizeof buf, ec);
      if (ec) return true;
    }
    return false;
  }
  // Reads one request; false on EOF/error.
  std::optional<RawRequest> read_request() {
    char buf[4096];
    while (pending_.find("\r\n\r\n") == std::string::npos) {
      boost::system::error_code ec;
      const std::size_t n = read_some(buf, sizeof buf, ec);
      if (ec) return std::nullopt;
      pending_.append(buf, n);
    }
    RawRequest r;
    const auto end = pending_.find("\r\n\r\n") + 4;
    r.head = pending_.substr(0, end);
    pending_.erase(0, end);
    const std::size_t len =
        static_cast<std::size_t>(std::atoll(r.header("content-length").c_str()));
    while (pending_.size() < len) {
      boost::system::error_code ec;
      const std::size_t n = read_some(buf, sizeof buf, ec);
      if (ec) return std::nullopt;
      pending_.append(buf, n);
    }
    r.body = pending_.substr(0, len);
    pending_.erase(0, len);
    return r;
  }
  int fd() { return sock_.native_handle(); }

 private:
  tcp::socket sock_;
  std::optional<ssl::stream<tcp::socket&>> tls_;
  std::string pending_;
};

}  // namespace

std::string RawRequest::header(const std::string& name) const {
  const std::string h = lower(head);
  const std::string key = "\r\n" + lower(name) + ":";
  const auto pos = h.find(key);
  if (pos == std::string::npos) return {};
  auto start = pos + key.size();
  const auto end = head.find("\r\n", start);
  while (start < end && head[start] == ' ') ++start;
  return head.substr(start, end - start);
}

std::string chunk(const std::string& data) {
  char size[32];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  return size + data + "\r\n";
}

struct TestServer::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::optional<ssl::context> tls;
  Handler handler;
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  mutable std::mutex mutex;
  std::vector<std::thread> threads;
  std::vector<int> fds;
  std::vector<RawRequest> requests;
};

TestServer::TestServer(Handler handler, std::string cert_file, std::string key_file)
    : impl_(std::make_unique<Impl>()) {
  impl_->handler = std::move(handler);
  if (!cert_file.empty()) {
    impl_->tls.emplace(ssl::context::tls_server);
    impl_->tls->use_certificate_chain_file(cert_file);
    impl_->tls->use_private_key_file(key_file, ssl::context::pem);
  }
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] {
    Impl& s = *impl_;
    for (;;) {
      boost::system::error_code ec;
      tcp::socket sock(s.io);
      s.acceptor.accept(sock, ec);
      if (s.stopping || ec) return;
      ++connections_;
      std::lock_guard lock(s.mutex);
      s.fds.push_back(sock.native_handle());
      s.threads.emplace_back([&s, sock = std::move(sock)]() mutable {
        Stream stream(std::move(sock), s.tls ? &*s.tls : nullptr);
        if (!stream.handshake()) return;
        while (stream.keep_open && !s.stopping) {
          auto req = stream.read_request();
          if (!req) break;
          {
            std::lock_guard lock(s.mutex);
            s.requests.push_back(*req);
          }
          s.handler(stream, *req);
        }
        ::shutdown(stream.fd(), SHUT_RDWR);
      });
    }
  });
}

TestServer::~TestServer() {
  impl_->stopping = true;
  {
    boost::system::error_code ec;
    tcp::socket wake(impl_->io);
    wake.connect(impl_->acceptor.local_endpoint(), ec);
  }
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) t.join();
}

std::vector<RawRequest> TestServer::requests() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->requests;
}

std::string TestServer::url(const std::string& path) const {
  return std::string(impl_->tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(port_) +
         path;
}

struct TestProxy::Impl {
  asio::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)};
  std::atomic<bool> stopping{false};
  std::thread accept_thread;
  std::mutex mutex;
  std::vector<std::thread> threads;
  std::vector<int> fds;
  std::string last_auth;
};

namespace {

void pump(tcp::socket& from, tcp::socket& to) {
  char buf[8192];
  for (;;) {
    boost::system::error_code ec;
    const std::size_t n = from.read_some(asio::buffer(buf), ec);
    if (ec) break;
    asio::write(to, asio::buffer(buf, n), ec);
    if (ec) break;
  }
  ::shutdown(to.native_handle(), SHUT_RDWR);
  ::shutdown(from.native_handle(), SHUT_RDWR);
}

}  // namespace

TestProxy::TestProxy() : impl_(std::make_unique<Impl>()) {
  port_ = impl_->acceptor.local_endpoint().port();
  impl_->accept_thread = std::thread([this] {
    Impl& s = *impl_;
    for (;;) {
      boost::system::error_code ec;
      tcp::socket client(s.io);
      s.acceptor.accept(client, ec);
      if (s.stopping || ec) return;
      std::lock_guard lock(s.mutex);
      s.fds.push_back(client.native_handle());
      s.threads.emplace_back([this, &s, client = std::move(client)]() mutable {
        Stream head_reader(std::move(client), nullptr);
        auto req = head_reader.read_request();
        if (!req) return;
        // "CONNECT 127.0.0.1:port HTTP/1.1"
        const auto sp1 = req->head.find(' ');
        const auto sp2 = req->head.find(' ', sp1 + 1);
        const std::string authority = req->head.substr(sp1 + 1, sp2 - sp1 - 1);
        const auto colon = authority.rfind(':');
        {
          std::lock_guard lock(s.mutex);
          s.last_auth = req->header("proxy-authorization");
        }
        tcp::socket upstream(s.io);
        boost::system::error_code cec;
        upstream.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"),
                                       static_cast<unsigned short>(
                                           std::atoi(authority.substr(colon + 1).c_str()))),
                         cec);
        if (cec || req->head.rfind("CONNECT ", 0) != 0) {
          head_reader.write("HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\n\r\n");
          return;
        }
        ++tunnels_;
        head_reader.write("HTTP/1.1 200 Connection established\r\n\r\n");
        tcp::socket down(s.io);
        down.assign(tcp::v4(), ::dup(head_reader.fd()));
        {
          std::lock_guard lock(s.mutex);
          s.fds.push_back(upstream.native_handle());
          s.fds.push_back(down.native_handle());
        }
        std::thread back([&] { pump(upstream, down); });
        pump(down, upstream);
        back.join();
      });
    }
  });
}

TestProxy::~TestProxy() {
  impl_->stopping = true;
  {
    boost::system::error_code ec;
    tcp::socket wake(impl_->io);
    wake.connect(impl_->acceptor.local_endpoint(), ec);
  }
  impl_->accept_thread.join();
  std::vector<std::thread> threads;
  {
    std::lock_guard lock(impl_->mutex);
    for (int fd : impl_->fds) ::shutdown(fd, SHUT_RDWR);
    threads.swap(impl_->threads);
  }
  for (auto& t : threads) t.join();
}

std::string TestProxy::last_authorization() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_auth;
}

TestPki::TestPki() {
  char tmpl[] = "/tmp/chatstream-pki-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return;
  dir = tmpl;
  ca_file = dir + "/ca.pem";
  cert_file = dir + "/server.pem";
  key_file = dir + "/server.key";
  wrong_cert = dir + "/wrong.pem";
  wrong_key = dir + "/wrong.key";
  std::ofstream(dir + "/good.ext") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n";
  std::ofstream(dir + "/wrong.ext") << "subjectAltName=DNS:wrong.example\n";
  const std::string q = " >/dev/null 2>&1";
  const std::string ec = " -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes";
  const std::string cmds[] = {
      "openssl req -x509" + ec + " -keyout " + dir + "/ca.key -out " + ca_file +
          " -days 2 -subj /CN=chatstream-test-ca",
      "openssl req" + ec + " -keyout " + key_file + " -out " + dir +
          "/server.csr -subj /CN=127.0.0.1",
      "openssl x509 -req -in " + dir + "/server.csr -CA " + ca_file + " -CAkey " + dir +
          "/ca.key -CAcreateserial -out " + cert_file + " -days 2 -extfile " + dir + "/good.ext",
      "openssl req" + ec + " -keyout " + wrong_key + " -out " + dir +
          "/wrong.csr -subj /CN=wrong.example",
      "openssl x509 -req -in " + dir + "/wrong.csr -CA " + ca_file + " -CAkey " + dir +
          "/ca.key -CAcreateserial -out " + wrong_cert + " -days 2 -extfile " + dir + "/wrong.ext",
  };
  for (const auto& c : cmds) {
    if (std::system((c + q).c_str()) != 0) return;  // NOLINT(cert-env33-c): test set-up
  }
  ok = true;
}

TestPki::~TestPki() {
  std::error_code ec;
  if (!dir.empty()) std::filesystem::remove_all(dir, ec);
}

}  // namespace chatstream::testing
