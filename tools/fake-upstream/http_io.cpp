#include "http_io.hpp"

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdio>

namespace chatstream::fake_upstream {
namespace {

namespace http = boost::beast::http;

constexpr std::size_t kReadChunk = 4096;

Request to_request(http::request_parser<http::string_body>& parser) {
  auto& msg = parser.get();
  Request r;
  r.method = std::string(msg.method_string());
  r.target = std::string(msg.target());
  const auto q = r.target.find('?');
  r.path = r.target.substr(0, q);
  r.query = q == std::string::npos ? std::string() : r.target.substr(q + 1);
  r.version = msg.version();
  for (const auto& field : msg)
    r.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  r.body = std::move(msg.body());
  r.keep_alive = msg.keep_alive();
  r.received_at = std::chrono::system_clock::now();
  r.received_steady = std::chrono::steady_clock::now();
  return r;
}

}  // namespace

asio::awaitable<ReadOutcome> read_request(Transport& t, std::string& inbuf) {
  http::request_parser<http::string_body> parser;
  parser.header_limit(64 * 1024);
  parser.body_limit(64 * 1024 * 1024);
  parser.eager(true);
  ReadOutcome out;
  for (;;) {
    if (!inbuf.empty()) {
      boost::system::error_code ec;
      const std::size_t used = parser.put(asio::buffer(inbuf), ec);
      inbuf.erase(0, used);
      if (ec == http::error::need_more) ec = {};
      if (ec) {
        out.kind = ReadOutcome::Kind::bad_request;
        out.error = ec.message();
        co_return out;
      }
      if (parser.is_done()) break;
      if (used > 0 && !inbuf.empty()) continue;
    }
    const std::size_t old = inbuf.size();
    inbuf.resize(old + kReadChunk);
    const IoResult r = co_await t.read_some(asio::buffer(inbuf.data() + old, kReadChunk));
    inbuf.resize(old + r.n);
    if (r.ec && r.n == 0) {
      out.kind = ReadOutcome::Kind::closed;
      co_return out;
    }
  }
  out.kind = ReadOutcome::Kind::request;
  out.request = to_request(parser);
  if (inbuf.capacity() > 64 * 1024 && inbuf.size() < kReadChunk) inbuf.shrink_to_fit();
  co_return out;
}

std::string response_head(unsigned status, std::string_view content_type, const HeaderList& extra,
                          std::optional<std::size_t> content_length, bool chunked,
                          bool keep_alive) {
  std::string h = "HTTP/1.1 ";
  h.append(std::to_string(status)).append(" ").append(reason_phrase(status)).append("\r\n");
  h.append("server: fake-upstream\r\n");
  if (!content_type.empty()) h.append("content-type: ").append(content_type).append("\r\n");
  if (content_length) {
    h.append("content-length: ").append(std::to_string(*content_length)).append("\r\n");
  } else if (chunked) {
    h.append("transfer-encoding: chunked\r\n");
  }
  h.append(keep_alive ? "connection: keep-alive\r\n" : "connection: close\r\n");
  for (const auto& [k, v] : extra) h.append(k).append(": ").append(v).append("\r\n");
  h.append("\r\n");
  return h;
}

asio::awaitable<bool> sleep_for(asio::steady_timer& timer, std::chrono::microseconds d) {
  timer.expires_after(d);
  auto [ec] = co_await timer.async_wait(asio::as_tuple(asio::use_awaitable));
  co_return !ec;
}

asio::awaitable<bool> BodyWriter::write_buffers(std::span<const asio::const_buffer> buffers) {
  if (!trickle_) {
    const IoResult r = co_await t_.write(buffers);
    bytes_ += r.n;
    co_return !r.ec;
  }
  for (const auto& b : buffers) {
    const auto* p = static_cast<const char*>(b.data());
    for (std::size_t i = 0; i < b.size(); ++i) {
      const std::array<asio::const_buffer, 1> one{asio::buffer(p + i, 1)};
      const IoResult r = co_await t_.write(one);
      bytes_ += r.n;
      if (r.ec) co_return false;
      if (pause_.count() > 0 && !co_await sleep_for(timer_, pause_)) co_return false;
    }
  }
  co_return true;
}

asio::awaitable<bool> BodyWriter::raw(std::string_view bytes) {
  const std::array<asio::const_buffer, 1> b{asio::buffer(bytes)};
  co_return co_await write_buffers(b);
}

asio::awaitable<bool> BodyWriter::piece(std::string_view bytes) {
  if (bytes.empty()) co_return true;  // an empty chunk would end the body
  if (!chunked_) co_return co_await raw(bytes);
  char size_line[24];
  const int n = std::snprintf(size_line, sizeof size_line, "%zx\r\n", bytes.size());
  const std::array<asio::const_buffer, 3> b{asio::buffer(size_line, static_cast<std::size_t>(n)),
                                            asio::buffer(bytes), asio::buffer("\r\n", 2)};
  co_return co_await write_buffers(b);
}

asio::awaitable<bool> BodyWriter::end() {
  if (!chunked_) co_return true;
  co_return co_await raw("0\r\n\r\n");
}

}  // namespace chatstream::fake_upstream
