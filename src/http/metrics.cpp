#include "http/metrics.hpp"

#include <fmt/format.h>

namespace chatstream::http {
namespace {

std::string escape_label(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

void Metrics::observe_request(std::string_view route, unsigned status, double seconds) {
  std::lock_guard lock(mutex_);
  auto it = routes_.find(route);
  if (it == routes_.end()) it = routes_.emplace(std::string(route), RouteStats{}).first;
  RouteStats& s = it->second;
  ++s.by_status[status];
  ++s.count;
  s.sum += seconds;
  for (std::size_t i = 0; i < kBuckets.size(); ++i) {
    if (seconds <= kBuckets[i]) ++s.buckets[i];
  }
}

void Metrics::add_callback(std::string name, std::string type, std::string help,
                           std::function<double()> fn) {
  std::lock_guard lock(mutex_);
  callbacks_.push_back({std::move(name), std::move(type), std::move(help), std::move(fn)});
}

std::string Metrics::render() const {
  std::string out;
  auto append = [&out](std::string_view s) { out.append(s); };
  append("# HELP chatstream_http_requests_total HTTP requests by route and status.\n");
  append("# TYPE chatstream_http_requests_total counter\n");
  std::lock_guard lock(mutex_);
  for (const auto& [route, s] : routes_) {
    for (const auto& [status, n] : s.by_status) {
      out += fmt::format("chatstream_http_requests_total{{route=\"{}\",status=\"{}\"}} {}\n",
                         escape_label(route), status, n);
    }
  }
  append("# HELP chatstream_http_request_duration_seconds Time to produce the response head.\n");
  append("# TYPE chatstream_http_request_duration_seconds histogram\n");
  for (const auto& [route, s] : routes_) {
    const auto label = escape_label(route);
    for (std::size_t i = 0; i < kBuckets.size(); ++i) {
      out += fmt::format(
          "chatstream_http_request_duration_seconds_bucket{{route=\"{}\",le=\"{}\"}} {}\n", label,
          kBuckets[i], s.buckets[i]);
    }
    out += fmt::format(
        "chatstream_http_request_duration_seconds_bucket{{route=\"{}\",le=\"+Inf\"}} {}\n", label,
        s.count);
    out += fmt::format("chatstream_http_request_duration_seconds_sum{{route=\"{}\"}} {}\n", label,
                       s.sum);
    out += fmt::format("chatstream_http_request_duration_seconds_count{{route=\"{}\"}} {}\n", label,
                       s.count);
  }
  auto gauge = [&out](std::string_view name, std::string_view type, std::string_view help,
                      auto value) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n{} {}\n", name, help, name, type, name, value);
  };
  gauge("chatstream_open_connections", "gauge", "Open client connections.",
        open_connections_.load());
  gauge("chatstream_open_sse_streams", "gauge", "Open Server-Sent Events streams.",
        open_sse_.load());
  gauge("chatstream_bytes_written_total", "counter", "Bytes written to clients.",
        bytes_written_.load());
  gauge("chatstream_accept_errors_total", "counter", "Failed accept() calls.",
        accept_errors_.load());
  for (const auto& cb : callbacks_) gauge(cb.name, cb.type, cb.help, cb.fn());
  return out;
}

}  // namespace chatstream::http
