// The SSE response head is written by hand; it must be byte for byte what Beast's serializer
// writes for the same response.
#include <gtest/gtest.h>

#include <boost/beast/core/buffers_range.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/serializer.hpp>

#include "http/sse_head.hpp"

namespace chatstream::http {
namespace {

namespace bhttp = boost::beast::http;

std::string with_beast(unsigned status, unsigned version, const std::string& request_id,
                       const HeaderList& extra, bool chunked) {
  bhttp::response<bhttp::empty_body> head{static_cast<bhttp::status>(status), version};
  head.set(bhttp::field::content_type, "text/event-stream; charset=utf-8");
  head.set(bhttp::field::cache_control, "no-cache, no-transform");
  head.set("X-Accel-Buffering", "no");
  head.set("X-Request-Id", request_id);
  head.set("X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : extra) head.set(name, value);
  head.keep_alive(false);
  if (chunked) head.chunked(true);
  std::string out;
  bhttp::response_serializer<bhttp::empty_body> sr(head);
  sr.split(true);
  boost::system::error_code ec;
  while (!ec && !sr.is_header_done()) {
    sr.next(ec, [&](boost::system::error_code&, const auto& buffers) {
      std::size_t n = 0;
      for (auto b : boost::beast::buffers_range_ref(buffers)) {
        out.append(static_cast<const char*>(b.data()), b.size());
        n += b.size();
      }
      sr.consume(n);
    });
  }
  return out;
}

TEST(SseHead, SameBytesAsBeast) {
  const std::vector<HeaderList> extras = {
      {},
      {{"x-conversation-id", "01ABC"}},
      {{"cache-control", "no-store"}, {"x-frame-options", "DENY"}},
      {{"Content-Type", "text/event-stream"}, {"vary", "Origin"}},
  };
  for (const unsigned status : {200U, 201U, 404U, 503U}) {
    for (const unsigned version : {10U, 11U}) {
      for (const auto& extra : extras) {
        const bool chunked = version >= 11;
        SCOPED_TRACE(std::to_string(status) + " " + std::to_string(version) + " " +
                     std::to_string(extra.size()));
        EXPECT_EQ(sse_response_head(status, version, "req-1", extra, chunked),
                  with_beast(status, version, "req-1", extra, chunked));
      }
    }
  }
}

TEST(SseHead, NoLineBreaksFromNamesOrValues) {
  const auto head =
      sse_response_head(200, 11, "a\r\nInjected: 1", {{"x-a\n", "b\r\nEvil: yes"}}, true);
  EXPECT_EQ(head.find("\r\nInjected"), std::string::npos);
  EXPECT_EQ(head.find("\r\nEvil"), std::string::npos);
  EXPECT_NE(head.find("X-Request-Id: aInjected: 1\r\n"), std::string::npos);
  EXPECT_EQ(head.substr(head.size() - 4), "\r\n\r\n");
}

}  // namespace
}  // namespace chatstream::http
