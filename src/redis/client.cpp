#include "redis/client.hpp"

#include <spdlog/spdlog.h>
#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/connect.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <deque>

namespace chatstream::redis {
namespace asio = boost::asio;
using boost::system::error_code;
using tcp = asio::ip::tcp;
using Handler = asio::any_completion_handler<void(error_code, std::vector<Reply>)>;

namespace {

// A caller's completion handler and the executor it resumes on.
struct Waiter {
  Handler handler;  // empty for the connection's own AUTH/SELECT and for send()
  asio::any_io_executor executor;
};

struct Pending {
  std::size_t expected = 1;
  std::vector<Reply> replies;
  Waiter waiter;
};

void complete(Waiter w, error_code ec, std::vector<Reply> replies) {
  if (!w.handler) return;
  asio::post(w.executor, [h = std::move(w.handler), ec, r = std::move(replies)]() mutable {
    std::move(h)(ec, std::move(r));
  });
}

}  // namespace

struct Client::State : std::enable_shared_from_this<Client::State> {
  State(asio::any_io_executor ex, Config c, std::shared_ptr<spdlog::logger> l)
      : strand(asio::make_strand(ex)),
        socket(strand),
        backoff_timer(strand),
        connect_timer(strand),
        config(std::move(c)),
        logger(l ? std::move(l) : spdlog::default_logger()) {}

  asio::any_io_executor strand;
  tcp::socket socket;
  asio::steady_timer backoff_timer;
  asio::steady_timer connect_timer;
  Config config;
  std::shared_ptr<spdlog::logger> logger;

  // Strand only.
  ReplyReader reader;
  std::deque<Pending> pending;
  std::string out;
  bool writing = false;
  bool stopped = false;
  bool started = false;
  std::uint64_t epoch = 0;  // bumped on every connection loss
  std::vector<char> read_buffer = std::vector<char>(16384);
  std::function<void(Reply)> push;
  std::function<void()> on_connect;

  std::atomic<bool> connected{false};
  std::atomic<std::uint64_t> connects{0}, commands{0}, writes{0};

  asio::awaitable<bool> connect_once();
  asio::awaitable<void> read_loop();
  void deliver(Reply reply);
  void submit(std::string bytes, std::size_t n, Waiter w,
              std::optional<std::uint64_t> connection = std::nullopt);
  void on_lost(error_code why);
  void start_writer();
};

namespace {

asio::awaitable<void> write_loop(std::shared_ptr<Client::State> s, std::uint64_t epoch) {
  while (s->epoch == epoch && !s->out.empty()) {
    std::string buf;
    buf.swap(s->out);
    s->writes.fetch_add(1, std::memory_order_relaxed);
    auto [ec, n] = co_await asio::async_write(s->socket, asio::buffer(buf),
                                              asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (s->epoch == epoch) {
        error_code ignored;
        s->socket.close(ignored);  // the read loop notices and fails what is pending
      }
      break;
    }
  }
  if (s->epoch == epoch) s->writing = false;
}

asio::awaitable<void> run_loop(std::shared_ptr<Client::State> s) {
  auto backoff = s->config.backoff_min;
  while (!s->stopped) {
    if (co_await s->connect_once()) {
      backoff = s->config.backoff_min;
      co_await s->read_loop();
      s->on_lost(asio::error::connection_aborted);
    }
    if (s->stopped) break;
    s->backoff_timer.expires_after(backoff);
    co_await s->backoff_timer.async_wait(asio::as_tuple(asio::use_awaitable));
    backoff = std::min(backoff * 2, s->config.backoff_max);
  }
  s->on_lost(asio::error::operation_aborted);
}

}  // namespace

void Client::State::start_writer() {
  if (writing || out.empty()) return;
  writing = true;
  asio::co_spawn(strand, write_loop(shared_from_this(), epoch), asio::detached);
}

asio::awaitable<bool> Client::State::connect_once() {
  socket = tcp::socket(strand);
  tcp::resolver resolver(strand);
  auto [rec, endpoints] = co_await resolver.async_resolve(config.host, std::to_string(config.port),
                                                          asio::as_tuple(asio::use_awaitable));
  if (rec || stopped) co_return false;
  connect_timer.expires_after(config.connect_timeout);
  connect_timer.async_wait([weak = weak_from_this()](error_code ec) {
    if (ec) return;
    if (auto s = weak.lock()) {
      error_code ignored;
      s->socket.close(ignored);
    }
  });
  auto [ec, ep] =
      co_await asio::async_connect(socket, endpoints, asio::as_tuple(asio::use_awaitable));
  connect_timer.cancel();
  if (ec || stopped) {
    error_code ignored;
    socket.close(ignored);
    co_return false;
  }
  socket.set_option(tcp::no_delay(true), ec);
  reader.reset();
  if (!config.password.empty()) {
    append_command(out, {"AUTH", config.password});
    pending.push_back(Pending{1, {}, Waiter{}});
  }
  if (config.db != 0) {
    append_command(out, {"SELECT", std::to_string(config.db)});
    pending.push_back(Pending{1, {}, Waiter{}});
  }
  start_writer();
  connected.store(true);
  connects.fetch_add(1);
  logger->log(config.log_connects ? spdlog::level::info : spdlog::level::debug,
              "redis: connected to {}:{}", config.host, config.port);
  if (on_connect) on_connect();
  co_return true;
}

asio::awaitable<void> Client::State::read_loop() {
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(read_buffer),
                                                   asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (!stopped) {
        logger->log(config.log_connects ? spdlog::level::warn : spdlog::level::debug,
                    "redis: connection to {}:{} lost: {}", config.host, config.port, ec.message());
      }
      co_return;
    }
    if (!reader.feed(read_buffer.data(), n)) co_return;
    for (;;) {
      bool error = false;
      auto reply = reader.next(error);
      if (error) {
        logger->error("redis: protocol error from {}:{}", config.host, config.port);
        co_return;
      }
      if (!reply) break;
      deliver(std::move(*reply));
    }
  }
}

void Client::State::deliver(Reply reply) {
  if (!pending.empty()) {
    auto& p = pending.front();
    if (!p.waiter.handler && reply.is_error())
      logger->error("redis: handshake failed: {}", reply.str);
    p.replies.push_back(std::move(reply));
    if (p.replies.size() >= p.expected) {
      auto done = std::move(p);
      pending.pop_front();
      complete(std::move(done.waiter), {}, std::move(done.replies));
    }
    return;
  }
  if (push) push(std::move(reply));
}

void Client::State::submit(std::string bytes, std::size_t n, Waiter w,
                           std::optional<std::uint64_t> connection) {
  if (!connected.load() || stopped) {
    complete(std::move(w), asio::error::not_connected, {});
    return;
  }
  if (connection && *connection != connects.load()) {
    complete(std::move(w), asio::error::try_again, {});
    return;
  }
  commands.fetch_add(n, std::memory_order_relaxed);
  if (!push) pending.push_back(Pending{n, {}, std::move(w)});  // push mode: replies go to push
  out += bytes;
  start_writer();
}

void Client::State::on_lost(error_code why) {
  ++epoch;
  connected.store(false);
  writing = false;
  out.clear();
  error_code ignored;
  socket.close(ignored);
  auto failed = std::move(pending);
  pending.clear();
  for (auto& p : failed) complete(std::move(p.waiter), why, {});
}

Client::Client(asio::any_io_executor executor, Config config,
               std::shared_ptr<spdlog::logger> logger)
    : state_(std::make_shared<State>(std::move(executor), std::move(config), std::move(logger))) {}

Client::~Client() {
  stop();
}

void Client::set_push_handler(std::function<void(Reply)> handler) {
  state_->push = std::move(handler);
}

void Client::set_on_connect(std::function<void()> handler) {
  state_->on_connect = std::move(handler);
}

void Client::start() {
  asio::dispatch(state_->strand, [s = state_] {
    if (s->started || s->stopped) return;
    s->started = true;
    asio::co_spawn(s->strand, run_loop(s), asio::detached);
  });
}

void Client::stop() {
  asio::dispatch(state_->strand, [s = state_] {
    if (s->stopped) return;
    s->stopped = true;
    s->backoff_timer.cancel();
    s->connect_timer.cancel();
    error_code ignored;
    s->socket.close(ignored);
    if (!s->started) s->on_lost(asio::error::operation_aborted);
  });
}

bool Client::connected() const noexcept {
  return state_->connected.load();
}

asio::awaitable<bool> Client::wait_connected(std::chrono::milliseconds timeout) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!connected() && std::chrono::steady_clock::now() < deadline) {
    timer.expires_after(std::chrono::milliseconds(10));
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return connected();
}

namespace {

template <class Token>
auto async_submit(std::shared_ptr<Client::State> s, std::string bytes, std::size_t n,
                  std::optional<std::uint64_t> connection, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::vector<Reply>)>(
      [s](auto handler, std::string b, std::size_t count, std::optional<std::uint64_t> conn) {
        asio::any_io_executor ex = asio::get_associated_executor(handler, s->strand);
        Waiter w{Handler(std::move(handler)), std::move(ex)};
        asio::dispatch(s->strand, [s, w = std::move(w), b = std::move(b), count, conn]() mutable {
          s->submit(std::move(b), count, std::move(w), conn);
        });
      },
      token, std::move(bytes), n, connection);
}

// One completion out of two racers (the replies, a timer); lives on the client's strand.
struct Race {
  Race(Waiter w, const asio::any_io_executor& strand) : waiter(std::move(w)), timer(strand) {}
  void finish(error_code ec, std::vector<Reply> replies) {
    if (done) return;
    done = true;
    timer.cancel();
    complete(std::move(waiter), ec, std::move(replies));
  }
  Waiter waiter;
  asio::steady_timer timer;
  bool done = false;
};

template <class Token>
auto async_submit_within(std::shared_ptr<Client::State> s, std::string bytes, std::size_t n,
                         std::chrono::milliseconds timeout, Token&& token) {
  return asio::async_initiate<Token, void(error_code, std::vector<Reply>)>(
      [s](auto handler, std::string b, std::size_t count, std::chrono::milliseconds t) {
        asio::any_io_executor ex = asio::get_associated_executor(handler, s->strand);
        auto race =
            std::make_shared<Race>(Waiter{Handler(std::move(handler)), std::move(ex)}, s->strand);
        asio::dispatch(s->strand, [s, race, b = std::move(b), count, t]() mutable {
          race->timer.expires_after(t);
          race->timer.async_wait([race](error_code ec) {
            if (ec != asio::error::operation_aborted) race->finish(asio::error::timed_out, {});
          });
          Handler inner(
              [race](error_code ec, std::vector<Reply> r) { race->finish(ec, std::move(r)); });
          s->submit(std::move(b), count, Waiter{std::move(inner), s->strand});
        });
      },
      token, std::move(bytes), n, timeout);
}

}  // namespace

asio::awaitable<Result<std::vector<Reply>>> Client::pipeline_within(
    std::vector<std::vector<std::string>> commands, std::chrono::milliseconds timeout) {
  if (commands.empty()) co_return std::vector<Reply>{};
  std::string bytes;
  for (const auto& c : commands) append_command(bytes, c);
  auto [ec, replies] = co_await async_submit_within(state_, std::move(bytes), commands.size(),
                                                    timeout, asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ec;
  co_return std::move(replies);
}

asio::awaitable<Result<Reply>> Client::command(std::vector<std::string> args) {
  std::string bytes;
  append_command(bytes, args);
  auto [ec, replies] = co_await async_submit(state_, std::move(bytes), 1, std::nullopt,
                                             asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ec;
  co_return std::move(replies.front());
}

asio::awaitable<Result<std::vector<Reply>>> Client::pipeline(
    std::vector<std::vector<std::string>> commands, std::optional<std::uint64_t> connection) {
  if (commands.empty()) co_return std::vector<Reply>{};
  std::string bytes;
  for (const auto& c : commands) append_command(bytes, c);
  auto [ec, replies] = co_await async_submit(state_, std::move(bytes), commands.size(), connection,
                                             asio::as_tuple(asio::use_awaitable));
  if (ec) co_return ec;
  co_return std::move(replies);
}

void Client::send(std::vector<std::string> args) {
  std::string bytes;
  append_command(bytes, args);
  asio::dispatch(state_->strand, [s = state_, b = std::move(bytes)]() mutable {
    s->submit(std::move(b), 1, Waiter{});
  });
}

std::uint64_t Client::connection() const noexcept {
  return state_->connects.load();
}

ClientStats Client::stats() const {
  ClientStats st;
  st.connects = state_->connects.load();
  st.commands = state_->commands.load();
  st.writes = state_->writes.load();
  return st;
}

}  // namespace chatstream::redis
