// An Asio Redis client: one TCP connection, pipelined commands (replies are matched to
// requests in order), reconnecting in the background with exponential backoff.
//
// Two modes:
// - request/reply: command() / pipeline() complete with the replies. While disconnected they
//   complete at once with asio::error::not_connected; commands in flight when the
//   connection drops complete with asio::error::connection_aborted (never retried: the
//   caller decides). Blocking commands (XREAD BLOCK, BLPOP) hold the connection: give them a
//   Client of their own.
// - push: after set_push_handler(), every reply goes to the handler (pub/sub). Use send()
//   and resubscribe from the on_connect callback.
//
// Thread-safety: all members may be called from any thread. Callbacks run on the client's
// strand. The Client must outlive the awaitables started on it (its destructor stops it and
// completes what is pending with an error).
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/system/error_code.hpp>
#include <boost/system/result.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "redis/reply.hpp"

namespace spdlog {
class logger;
}

namespace chatstream::redis {

struct Config {
  std::string host = "127.0.0.1";
  std::uint16_t port = 6379;
  std::string password;  // empty: no AUTH
  int db = 0;
  std::chrono::milliseconds connect_timeout{2000};
  std::chrono::milliseconds backoff_min{50};
  std::chrono::milliseconds backoff_max{2000};
  bool log_connects = true;  // false: connects and losses are logged at debug level only
};

// redis://[[user]:password@]host[:port][/db]. nullopt when malformed.
std::optional<Config> parse_url(std::string_view url);
// The URL without its password (for logs).
std::string redacted(const Config& config);

// A command's arguments, e.g. args("GET", key). (Braced lists of strings inside a co_await
// expression trip a GCC 12 coroutine bug; this builds the vector without one.)
// Arguments by value: string literals decay to pointers.
template <class... A>
std::vector<std::string> args(A... a) {
  std::vector<std::string> v;
  v.reserve(sizeof...(a));
  (v.emplace_back(std::move(a)), ...);
  return v;
}

template <class T>
using Result = boost::system::result<T, boost::system::error_code>;

struct ClientStats {
  std::uint64_t connects = 0;
  std::uint64_t commands = 0;
  std::uint64_t writes = 0;  // socket writes (a pipeline is one)
};

class Client {
 public:
  Client(boost::asio::any_io_executor executor, Config config,
         std::shared_ptr<spdlog::logger> logger = nullptr);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Push mode (set before start()).
  void set_push_handler(std::function<void(Reply)> handler);
  // Called after every successful (re)connect, on the strand (set before start()).
  void set_on_connect(std::function<void()> handler);

  // Starts connecting (and reconnecting after every loss until stop()).
  void start();
  void stop();
  bool connected() const noexcept;
  // Resolves when connected or `timeout` passed; returns connected().
  boost::asio::awaitable<bool> wait_connected(std::chrono::milliseconds timeout);

  boost::asio::awaitable<Result<Reply>> command(std::vector<std::string> args);
  // All commands in one write; the replies in order (a command's error is an error Reply).
  // With `connection`: only on that connection (see connection()); on any other it fails
  // with asio::error::try_again without sending anything.
  boost::asio::awaitable<Result<std::vector<Reply>>> pipeline(
      std::vector<std::vector<std::string>> commands,
      std::optional<std::uint64_t> connection = std::nullopt);
  // Like pipeline(), but completes with asio::error::timed_out when the replies did not come
  // within `timeout` (they are dropped when they arrive later). For callers that must not
  // wait on a slow or unreachable server (a request path).
  boost::asio::awaitable<Result<std::vector<Reply>>> pipeline_within(
      std::vector<std::vector<std::string>> commands, std::chrono::milliseconds timeout);
  // Which connection this is: a number that changes with every (re)connect. Whoever needs to
  // know whether the server may have lost data in between (a restart) compares it.
  std::uint64_t connection() const noexcept;
  // Push mode: sends without waiting for anything.
  void send(std::vector<std::string> args);

  ClientStats stats() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace chatstream::redis
