// One request/response exchange on an open connection: write the request, then parse the
// response incrementally (Beast's sans-I/O parser) and hand the body to the caller as it
// arrives.
#include <boost/asio/append.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/associated_cancellation_slot.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "providers/http/detail.hpp"

namespace chatstream::providers::http_detail {
namespace {

namespace http = boost::beast::http;
using boost::system::error_code;

// Forwards the head and every body piece to the caller's handlers.
using bsv = boost::beast::string_view;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

class StreamingParser final : public http::basic_parser<false> {
 public:
  StreamingParser(HttpClient::HeadHandler* on_head, HttpClient::BodyHandler* on_body)
      : on_head_(on_head), on_body_(on_body) {}

  bool head_done() const { return head_done_; }
  bool stopped() const { return stopped_; }

 private:
  void on_request_impl(http::verb, bsv, bsv, int, error_code&) override {}
  void on_response_impl(int code, bsv, int, error_code&) override { head_.status = code; }
  void on_field_impl(http::field, bsv name, bsv value, error_code&) override {
    head_.headers.push_back(
        {std::string(name.data(), name.size()), std::string(value.data(), value.size())});
  }
  void on_header_impl(error_code&) override {
    head_done_ = true;
    if (*on_head_) (*on_head_)(head_);
    head_ = HttpResponseHead{};  // seen: hold no header copies while the body streams
  }
  void on_body_init_impl(const boost::optional<std::uint64_t>&, error_code&) override {}
  std::size_t on_body_impl(bsv body, error_code& ec) override {
    return deliver(std::string_view(body.data(), body.size()), ec);
  }
  void on_chunk_header_impl(std::uint64_t, bsv, error_code&) override {}
  std::size_t on_chunk_body_impl(std::uint64_t, bsv body, error_code& ec) override {
    return deliver(std::string_view(body.data(), body.size()), ec);
  }
  void on_finish_impl(error_code&) override {}

  std::size_t deliver(std::string_view body, error_code& ec) {
    if (!body.empty() && *on_body_ && !(*on_body_)(body)) {
      stopped_ = true;
      ec = boost::asio::error::operation_aborted;  // stops the parser; we close the socket
    }
    return body.size();
  }

  HttpClient::HeadHandler* on_head_;
  HttpClient::BodyHandler* on_body_;
  HttpResponseHead head_;
  bool head_done_ = false;
  bool stopped_ = false;
};

ExchangeResult failed(ExchangeResult r, HttpFailure f, std::string detail) {
  r.failure = f;
  r.detail = std::move(detail);
  return r;
}

}  // namespace

namespace {

// Feeds `data` to the parser. Returns false when the exchange is over (stopped or malformed;
// `r` says which). Bytes the parser cannot take yet stay in `pending`.
bool feed(StreamingParser& parser, std::string& pending, std::string_view data, Guard* guard,
          const HttpClientConfig* config, ExchangeResult& r) {
  if (!pending.empty()) {
    pending.append(data);
    data = pending;
  }
  std::size_t offset = 0;
  bool ok = true;
  while (offset < data.size() && !parser.is_done()) {
    error_code pec;
    const std::size_t used =
        parser.put(asio::buffer(data.data() + offset, data.size() - offset), pec);
    offset += used;
    if (parser.stopped()) {
      r.head_received = true;
      r.stopped = true;
      ok = false;
      break;
    }
    if (pec && pec != http::error::need_more) {
      r.head_received = parser.head_done();
      r.failure = HttpFailure::protocol;
      r.detail = "malformed HTTP response: " + pec.message();
      ok = false;
      break;
    }
    if (pec || used == 0) break;  // need more bytes
  }
  if (parser.head_done()) guard->arm(HttpFailure::timeout_idle, config->idle_timeout);
  if (data.data() == pending.data()) {
    pending.erase(0, offset);
    if (pending.empty()) std::string().swap(pending);  // an idle stream holds no carry-over
  } else {
    pending.assign(data.substr(offset));
  }
  return ok;
}

// A read failed: end of a close-delimited body, or the connection closed too early.
ExchangeResult at_error(ExchangeResult r, StreamingParser& parser, error_code ec) {
  if (ec == asio::error::eof || ec == asio::ssl::error::stream_truncated) {
    error_code pec;
    if (parser.head_done()) parser.put_eof(pec);
    if (parser.head_done() && !pec && parser.is_done()) {
      r.head_received = true;
      r.complete = true;
      r.keep_alive = false;  // close-delimited: the connection is over
      return r;
    }
  }
  r.head_received = parser.head_done();
  return failed(std::move(r), HttpFailure::closed,
                "connection closed before the response was complete: " + ec.message());
}

// Plain TCP reads land in one buffer per thread: an idle stream holds no read buffer, and a
// read takes everything the kernel has (several chunks) in one call.
constexpr std::size_t kReadBuffer = 64 * 1024;
constexpr std::size_t kTlsReadBuffer = 4096;

// What the read loop of one exchange works on (it lives in exchange()'s frame).
struct ReadState {
  Connection* conn;
  Guard* guard;
  const HttpClientConfig* config;
  std::string* wire;
  StreamingParser* parser;
  std::string* pending;  // bytes the parser has not consumed yet (partial header/chunk line)
  ExchangeResult* r;
  asio::cancellation_state cancel;  // of the awaiting coroutine
};

// Takes the outcome of one read (`data`, or the error) into the parser and the result. Returns
// false when the exchange is over (`*s.r` says how).
bool absorb(ReadState& s, error_code ec, std::string_view data) {
  ExchangeResult& r = *s.r;
  r.bytes_received += data.size();
  if (ec) {
    r = at_error(std::move(r), *s.parser, ec);
    return false;
  }
  if (!s.parser->head_done())
    s.guard->arm(HttpFailure::timeout_first_byte, s.config->first_byte_timeout);
  const bool ok = feed(*s.parser, *s.pending, data, s.guard, s.config, r);
  if (s.parser->head_done() && !s.wire->empty()) std::string().swap(*s.wire);
  if (!ok) return false;
  if (s.parser->is_done()) {
    r.head_received = true;
    r.complete = true;
    r.keep_alive = s.parser->keep_alive() && s.pending->empty();
    return false;
  }
  return true;
}

// The plain-TCP read loop as a completion handler that moves itself from one readiness wait to
// the next: a chunk costs the wait and a read, not a coroutine resumption. It owns the awaiting
// coroutine's handler while a wait is pending (so an io_context torn down mid-stream frees
// both), and completes it once, when the exchange is over. The caller's cancellation aborts
// the pending wait (the handler's slot); one that came while no wait was pending is seen in the
// cancellation state.
template <typename Handler>
class PlainReadLoop {
 public:
  PlainReadLoop(ReadState* state, Handler handler) : s_(state), handler_(std::move(handler)) {}

  using executor_type = asio::associated_executor_t<Handler>;
  executor_type get_executor() const noexcept { return asio::get_associated_executor(handler_); }
  using cancellation_slot_type = asio::associated_cancellation_slot_t<Handler>;
  cancellation_slot_type get_cancellation_slot() const noexcept {
    return asio::get_associated_cancellation_slot(handler_);
  }

  void wait() {
    if (s_->cancel.cancelled() != asio::cancellation_type::none) {
      // Cancelled while no wait was pending (so nothing was aborted): finish from the queue.
      asio::post(asio::append(std::move(*this), error_code(asio::error::operation_aborted)));
      return;
    }
    s_->conn->socket().async_wait(tcp::socket::wait_read, std::move(*this));
  }

  void operator()(error_code ec) {
    for (;;) {
      if (s_->cancel.cancelled() != asio::cancellation_type::none) {
        ec = asio::error::operation_aborted;
      }
      std::size_t n = 0;
      thread_local std::vector<char> shared(kReadBuffer);
      if (!ec) {
        n = s_->conn->read_now(asio::buffer(shared), ec);
        if (ec && (ec == asio::error::would_block || ec == asio::error::try_again)) return wait();
      }
      if (!absorb(*s_, ec, std::string_view(shared.data(), n))) return std::move(handler_)();
      // A full buffer may have left bytes behind: read again before waiting for readiness.
      if (n < shared.size()) return wait();
    }
  }

 private:
  ReadState* s_;
  Handler handler_;
};

template <typename CompletionToken>
auto async_read_plain(ReadState* state, CompletionToken&& token) {
  return asio::async_initiate<CompletionToken, void()>(
      [state](auto&& handler) {
        using Handler = std::decay_t<decltype(handler)>;
        PlainReadLoop<Handler>(state, std::forward<decltype(handler)>(handler)).wait();
      },
      token);
}

}  // namespace

asio::awaitable<void> exchange(Connection* conn, Guard* guard, const HttpClientConfig* config,
                               std::string* wire, HttpClient::HeadHandler* on_head,
                               HttpClient::BodyHandler* on_body, ExchangeResult* result) {
  ExchangeResult& r = *result;
  r = ExchangeResult{};
  guard->arm(HttpFailure::timeout_first_byte, config->first_byte_timeout);
  if (auto ec = co_await conn->write_all(*wire)) {
    r.write_failed = true;
    r = failed(std::move(r), HttpFailure::closed, "sending the request failed: " + ec.message());
    co_return;
  }
  StreamingParser parser(on_head, on_body);
  parser.eager(true);
  parser.body_limit(boost::none);
  parser.header_limit(64 * 1024);
  std::string pending;
  ReadState state{conn,    guard,    config, wire,
                  &parser, &pending, &r,     co_await asio::this_coro::cancellation_state};
  if (!conn->tls_active()) {
    co_await async_read_plain(&state, asio::use_awaitable);
    co_return;
  }
  std::vector<char> tls_buf(kTlsReadBuffer);
  for (;;) {
    error_code ec;
    std::size_t n = 0;
    if (state.cancel.cancelled() != asio::cancellation_type::none) {
      ec = asio::error::operation_aborted;
    } else {
      std::tie(ec, n) = co_await conn->tls_stream().async_read_some(asio::buffer(tls_buf), kAwait);
    }
    if (!absorb(state, ec, std::string_view(tls_buf.data(), n))) co_return;
  }
}

}  // namespace chatstream::providers::http_detail
