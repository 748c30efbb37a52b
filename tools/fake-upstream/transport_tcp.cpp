#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include "transport.hpp"

namespace chatstream::fake_upstream {
namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

class TcpTransport final : public Transport {
 public:
  explicit TcpTransport(asio::ip::tcp::socket s) : socket_(std::move(s)) {}

  asio::awaitable<IoResult> read_some(asio::mutable_buffer buffer) override {
    auto [ec, n] = co_await socket_.async_read_some(buffer, kTuple);
    co_return IoResult{ec, n};
  }

  asio::awaitable<IoResult> write(std::span<const asio::const_buffer> buffers) override {
    auto [ec, n] = co_await asio::async_write(socket_, buffers, kTuple);
    co_return IoResult{ec, n};
  }

  void close() override {
    boost::system::error_code ec;
    socket_.shutdown(asio::ip::tcp::socket::shutdown_send, ec);
    socket_.close(ec);
  }

  void reset() override {
    boost::system::error_code ec;
    socket_.set_option(asio::socket_base::linger(true, 0), ec);
    socket_.close(ec);
  }

  bool is_tls() const override { return false; }

  asio::awaitable<boost::system::error_code> watch_peer(std::string& inbuf) override {
    constexpr std::size_t kChunk = 1024;
    constexpr std::size_t kMaxPipelined = 1024 * 1024;
    std::string scratch(kChunk, '\0');
    for (;;) {
      auto [ec, n] = co_await socket_.async_read_some(asio::buffer(scratch), kTuple);
      inbuf.append(scratch.data(), n);
      if (ec) co_return ec;
      if (inbuf.size() > kMaxPipelined) {
        // Stop reading (backpressure) but stay cancellable.
        asio::steady_timer park(socket_.get_executor());
        park.expires_at(asio::steady_timer::time_point::max());
        auto [wait_ec] = co_await park.async_wait(kTuple);
        co_return wait_ec ? wait_ec : asio::error::operation_aborted;
      }
    }
  }

 private:
  asio::ip::tcp::socket socket_;
};

}  // namespace

std::unique_ptr<Transport> make_tcp_transport(asio::ip::tcp::socket socket) {
  return std::make_unique<TcpTransport>(std::move(socket));
}

}  // namespace chatstream::fake_upstream
