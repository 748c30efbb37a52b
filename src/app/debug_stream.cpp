#include "app/debug_stream.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <charconv>
#include <mutex>

#include "http/error.hpp"
#include "sse/encoder.hpp"

namespace chatstream::app {
namespace asio = boost::asio;

namespace {

class TickerSource final : public http::SseSource {
 public:
  void set_waker(Waker waker) override {
    std::lock_guard lock(mutex_);
    waker_ = std::move(waker);
  }
  bool pull(std::string& out) override {
    std::lock_guard lock(mutex_);
    out += pending_;
    pending_.clear();
    return !finished_;
  }
  void on_close() override { closed_.store(true); }

  bool closed() const { return closed_.load(); }
  std::size_t pending_bytes() {
    std::lock_guard lock(mutex_);
    return pending_.size();
  }
  void push(std::string_view event, std::string_view data, std::string_view id, bool last) {
    Waker waker;
    {
      std::lock_guard lock(mutex_);
      sse::append_event(pending_, event, data, id);
      finished_ = last;
      waker = waker_;
    }
    if (waker) waker();
  }

 private:
  std::mutex mutex_;
  std::string pending_;
  bool finished_ = false;
  Waker waker_;
  std::atomic<bool> closed_{false};
};

asio::awaitable<void> tick(std::shared_ptr<TickerSource> source, long count,
                           std::chrono::milliseconds interval, std::size_t bytes) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const std::string payload(bytes, 'x');
  constexpr std::size_t kMaxPending = 1 << 20;  // backpressure: a slow reader pauses us
  for (long i = 1; i <= count && !source->closed(); ++i) {
    timer.expires_after(interval);
    co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    while (source->pending_bytes() > kMaxPending && !source->closed()) {
      timer.expires_after(std::chrono::milliseconds(5));
      co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    std::string data = R"({"n":)" + std::to_string(i) + R"(,"pad":")" + payload + "\"}";
    source->push("tick", data, std::to_string(i), false);
  }
  source->push("done", "{}", {}, true);
}

long int_param(const http::Request& req, std::string_view name, long fallback, long max) {
  auto v = req.query_param(name);
  if (!v) return fallback;
  long n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 0 || n > max) return -1;
  return n;
}

asio::awaitable<http::Response> debug_stream(http::Request req) {
  long count = int_param(req, "count", 10, 1'000'000);
  long interval = int_param(req, "interval_ms", 100, 3'600'000);
  long bytes = int_param(req, "bytes", 0, 65536);
  if (count < 0 || interval < 0 || bytes < 0) {
    co_return http::json_error(400, "invalid_parameter",
                               "count (<=1e6), interval_ms (<=3600000) and bytes (<=65536) must "
                               "be non-negative integers");
  }
  auto source = std::make_shared<TickerSource>();
  asio::co_spawn(
      co_await asio::this_coro::executor,
      tick(source, count, std::chrono::milliseconds(interval), static_cast<std::size_t>(bytes)),
      asio::detached);
  http::Response res;
  res.sse = source;
  co_return res;
}

}  // namespace

void add_debug_routes(http::Router& router) {
  router.add("GET", "/api/debug/stream", debug_stream);
}

}  // namespace chatstream::app
