// Process metrics in Prometheus text format. Thread-safe: counters are atomics, the
// per-route table is behind a mutex (touched once per request, never across co_await).
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatstream::http {

class Metrics {
 public:
  static constexpr std::array<double, 12> kBuckets = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                      0.05,   0.1,   0.25,   0.5,   1.0,  5.0};

  void observe_request(std::string_view route, unsigned status, double seconds);
  void connection_opened() noexcept { open_connections_.fetch_add(1, std::memory_order_relaxed); }
  void connection_closed() noexcept { open_connections_.fetch_sub(1, std::memory_order_relaxed); }
  void sse_opened() noexcept { open_sse_.fetch_add(1, std::memory_order_relaxed); }
  void sse_closed() noexcept { open_sse_.fetch_sub(1, std::memory_order_relaxed); }
  void add_bytes_written(std::uint64_t n) noexcept {
    bytes_written_.fetch_add(n, std::memory_order_relaxed);
  }
  void accept_error() noexcept { accept_errors_.fetch_add(1, std::memory_order_relaxed); }

  std::int64_t open_connections() const noexcept { return open_connections_.load(); }
  std::int64_t open_sse_streams() const noexcept { return open_sse_.load(); }

  // Registers a gauge or counter computed on demand (e.g. by the store or the hub).
  // Call during start-up, before serving.
  void add_callback(std::string name, std::string type, std::string help,
                    std::function<double()> fn);

  std::string render() const;

 private:
  struct RouteStats {
    std::map<unsigned, std::uint64_t> by_status;
    std::array<std::uint64_t, kBuckets.size()> buckets{};
    std::uint64_t count = 0;
    double sum = 0;
  };
  struct Callback {
    std::string name, type, help;
    std::function<double()> fn;
  };

  mutable std::mutex mutex_;
  std::map<std::string, RouteStats, std::less<>> routes_;
  std::vector<Callback> callbacks_;
  std::atomic<std::int64_t> open_connections_{0};
  std::atomic<std::int64_t> open_sse_{0};
  std::atomic<std::uint64_t> bytes_written_{0};
  std::atomic<std::uint64_t> accept_errors_{0};
};

}  // namespace chatstream::http
