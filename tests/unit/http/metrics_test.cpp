#include "http/metrics.hpp"

#include <gtest/gtest.h>

namespace chatstream::http {
namespace {

TEST(Metrics, RendersPrometheusText) {
  Metrics m;
  m.observe_request("/api/x", 200, 0.003);
  m.observe_request("/api/x", 200, 0.2);
  m.observe_request("/api/x", 404, 0.001);
  m.connection_opened();
  m.sse_opened();
  m.add_bytes_written(42);
  m.add_callback("chatstream_test_value", "gauge", "A test value.", [] { return 7.5; });
  auto text = m.render();
  EXPECT_NE(text.find("chatstream_http_requests_total{route=\"/api/x\",status=\"200\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("chatstream_http_requests_total{route=\"/api/x\",status=\"404\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("chatstream_http_request_duration_seconds_bucket{route=\"/api/x\","
                      "le=\"0.005\"} 2"),
            std::string::npos);
  EXPECT_NE(text.find("chatstream_http_request_duration_seconds_count{route=\"/api/x\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("chatstream_open_connections 1"), std::string::npos);
  EXPECT_NE(text.find("chatstream_open_sse_streams 1"), std::string::npos);
  EXPECT_NE(text.find("chatstream_bytes_written_total 42"), std::string::npos);
  EXPECT_NE(text.find("chatstream_test_value 7.5"), std::string::npos);
}

}  // namespace
}  // namespace chatstream::http
