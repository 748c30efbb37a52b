// One request/response exchange on an open connection: write the request, then parse the
// response incrementally (Beast's sans-I/O parser) and hand the body to the caller as it
// arrives.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/cancellation_state.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <string>
#include <tuple>
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
  std::string pending;  // bytes the parser has not consumed yet (partial header/chunk line)
  std::vector<char> tls_buf(conn->tls_active() ? kTlsReadBuffer : 0);
  bool maybe_more = false;
  while (!parser.is_done()) {
    error_code ec;
    std::size_t n = 0;
    // The caller's cancellation aborts the pending wait; one that came while a completion was
    // already queued is seen here.
    if ((co_await asio::this_coro::cancellation_state).cancelled() !=
        asio::cancellation_type::none) {
      ec = asio::error::operation_aborted;
    } else if (conn->tls_active()) {
      std::tie(ec, n) = co_await conn->tls_stream().async_read_some(asio::buffer(tls_buf), kAwait);
    } else if (!maybe_more) {
      // A full buffer may have left bytes behind: read again before waiting for readiness.
      std::tie(ec) = co_await conn->socket().async_wait(tcp::socket::wait_read, kAwait);
    }
    std::string_view data(tls_buf.data(), n);
    if (!ec && !conn->tls_active()) {
      thread_local std::vector<char> shared(kReadBuffer);
      n = conn->read_now(asio::buffer(shared), ec);
      maybe_more = !ec && n == shared.size();
      if (ec == asio::error::would_block || ec == asio::error::try_again) continue;
      data = std::string_view(shared.data(), n);
    }
    r.bytes_received += n;
    if (ec) {
      r = at_error(std::move(r), parser, ec);
      co_return;
    }
    if (!parser.head_done())
      guard->arm(HttpFailure::timeout_first_byte, config->first_byte_timeout);
    const bool ok = feed(parser, pending, data, guard, config, r);
    if (parser.head_done() && !wire->empty()) std::string().swap(*wire);
    if (!ok) co_return;
  }
  r.head_received = true;
  r.complete = true;
  r.keep_alive = parser.keep_alive() && pending.empty();
}

}  // namespace chatstream::providers::http_detail
