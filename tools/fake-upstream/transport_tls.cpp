// TLS transport and the self-signed certificate generated at start-up.
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <cerrno>
#include <memory>
#include <stdexcept>

#include "transport.hpp"

namespace chatstream::fake_upstream {
namespace {

namespace ssl = asio::ssl;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

template <typename T, void (*Free)(T*)>
struct Deleter {
  void operator()(T* p) const { Free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY, EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509, X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>>;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;

void check(bool ok, const char* what) {
  if (!ok) throw std::runtime_error(std::string("fake-upstream: OpenSSL failed: ") + what);
}

void add_ext(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  check(ext != nullptr, "X509V3_EXT_conf_nid");
  check(X509_add_ext(cert, ext.get(), -1) == 1, "X509_add_ext");
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

class TlsTransport final : public Transport {
 public:
  TlsTransport(asio::ip::tcp::socket s, ssl::context& ctx) : stream_(std::move(s), ctx) {}

  ssl::stream<asio::ip::tcp::socket>& stream() { return stream_; }

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await stream_.async_read_some(buffer, kTuple);
    co_return IoResult{ec, n};
  }

  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override {
    auto [ec, n] = co_await asio::async_write(stream_, buffers, kTuple);
    co_return IoResult{ec, n};
  }

  void close() override {
    boost::system::error_code ec;
    stream_.next_layer().shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    stream_.next_layer().close(ec);
  }

  void reset() override {
    boost::system::error_code ec;
    stream_.next_layer().set_option(asio::socket_base::linger(true, 0), ec);
    stream_.next_layer().close(ec);
  }

  bool is_tls() const override { return true; }

  // Watches the TCP socket underneath without touching the TLS engine: a TLS read pending
  // beside a write could stall the write (if the engine asks the write for input, Asio makes it
  // wait for the pending read, which may never complete). EOF and reset are seen with a peek; if
  // the peer sent bytes (close_notify, a pipelined request) they stay queued and POLLRDHUP tells a
  // FIN behind them.
  asio::awaitable<boost::system::error_code> watch_peer(std::string&) override {
    auto& sock = stream_.next_layer();
    asio::steady_timer pause(sock.get_executor());
    for (;;) {
      auto [ec] = co_await sock.async_wait(asio::socket_base::wait_read, kTuple);
      if (ec) co_return ec;
      char byte = 0;
      const ssize_t n = ::recv(sock.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
      if (n == 0) co_return asio::error::eof;
      if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
        co_return boost::system::error_code(errno, boost::system::system_category());
      if (n > 0) {
        pollfd pfd{sock.native_handle(), POLLRDHUP, 0};
        if (::poll(&pfd, 1, 0) > 0 && (pfd.revents & (POLLRDHUP | POLLHUP | POLLERR)))
          co_return asio::error::eof;
        pause.expires_after(std::chrono::milliseconds(10));
        auto [wait_ec] = co_await pause.async_wait(kTuple);
        if (wait_ec) co_return wait_ec;
      }
    }
  }

 private:
  ssl::stream<asio::ip::tcp::socket> stream_;
};

class TlsServerImpl final : public TlsServer {
 public:
  explicit TlsServerImpl(const TlsMaterial& m) : ctx_(ssl::context::tls_server) {
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                     ssl::context::no_sslv3 | ssl::context::single_dh_use);
    ctx_.use_certificate_chain(asio::buffer(m.cert_pem));
    ctx_.use_private_key(asio::buffer(m.key_pem), ssl::context::pem);
  }

  asio::awaitable<std::unique_ptr<Transport>> accept(asio::ip::tcp::socket socket) override {
    auto t = std::make_unique<TlsTransport>(std::move(socket), ctx_);
    auto [ec] = co_await t->stream().async_handshake(ssl::stream_base::server, kTuple);
    if (ec) co_return nullptr;
    co_return std::unique_ptr<Transport>(std::move(t));
  }

 private:
  ssl::context ctx_;
};

}  // namespace

TlsMaterial generate_self_signed() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  check(key != nullptr, "EVP_EC_gen");
  X509Ptr cert(X509_new());
  check(cert != nullptr, "X509_new");
  check(X509_set_version(cert.get(), 2) == 1, "X509_set_version");
  unsigned char serial[16];
  check(RAND_bytes(serial, sizeof serial) == 1, "RAND_bytes");
  serial[0] &= 0x7f;  // positive
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  check(bn != nullptr, "BN_bin2bn");
  check(BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get())) != nullptr, "serial");
  BN_free(bn);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 30L * 24 * 3600);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("fake-upstream"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  check(X509_set_issuer_name(cert.get(), name) == 1, "X509_set_issuer_name");
  check(X509_set_pubkey(cert.get(), key.get()) == 1, "X509_set_pubkey");
  add_ext(cert.get(), NID_basic_constraints, "critical,CA:FALSE");
  add_ext(cert.get(), NID_ext_key_usage, "serverAuth");
  add_ext(cert.get(), NID_subject_key_identifier, "hash");
  add_ext(cert.get(), NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
  check(X509_sign(cert.get(), key.get(), EVP_sha256()) > 0, "X509_sign");

  TlsMaterial m;
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_X509(cert_bio.get(), cert.get()) == 1, "PEM_write_bio_X509");
  m.cert_pem = bio_text(cert_bio.get());
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  check(PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) ==
            1,
        "PEM_write_bio_PrivateKey");
  m.key_pem = bio_text(key_bio.get());
  return m;
}

std::unique_ptr<TlsServer> make_tls_server(const TlsMaterial& material) {
  return std::make_unique<TlsServerImpl>(material);
}

}  // namespace chatstream::fake_upstream
