#include "report.hpp"

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <chrono>
#include <cstdio>

namespace chatstream::loadgen {
namespace {

double ms(std::uint64_t us) {
  return static_cast<double>(us) / 1000.0;
}
double secs(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

boost::json::object summary(const Histogram& h) {
  return {{"n", h.count()},
          {"p50", ms(h.quantile(0.50))},
          {"p90", ms(h.quantile(0.90))},
          {"p99", ms(h.quantile(0.99))},
          {"max", ms(h.max())},
          {"mean", h.mean() / 1000.0}};
}

std::uint64_t error_total(const Results& r) {
  std::uint64_t n = 0;
  for (auto e : r.errors) n += e;
  return n;
}

double active_window(const Results& r) {
  double w = secs(r.last_end - r.first_start);
  return w > 0 ? w : r.wall_s;
}

}  // namespace

std::string to_json(const Options& o, const Results& r) {
  boost::json::object errors;
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    if (r.errors[i] > 0) errors[error_name(static_cast<ErrorKind>(i))] = r.errors[i];
  }
  boost::json::array timeline(r.timeline.begin(), r.timeline.end());
  while (!timeline.empty() && timeline.back().as_uint64() == 0) timeline.pop_back();
  double window = active_window(r);
  double cpu = r.cpu_user_s + r.cpu_sys_s;
  boost::json::object j{
      {"label", o.label},
      {"kind", kind_name(o.kind)},
      {"target", o.host + ":" + std::to_string(o.port)},
      {"path", o.path},
      {"model", o.model},
      {"tokens_per_stream", o.tokens},
      {"delay_ms", o.delay_ms},
      {"streams", o.streams},
      {"subscribers", o.subscribers},
      {"t0_monotonic", secs(r.t0.time_since_epoch())},
      {"wall_s", r.wall_s},
      {"window_s", window},
      {"first_start_s", secs(r.first_start - r.t0)},
      {"last_end_s", secs(r.last_end - r.t0)},
      {"generations", r.started},
      {"subscribed", r.subscribed},
      {"ok", r.ok},
      {"errors", errors},
      {"error_total", error_total(r)},
      {"peak_active", r.peak_active},
      {"tokens", r.tokens},
      {"bytes", r.bytes},
      {"tokens_per_s", window > 0 ? double(r.tokens) / window : 0.0},
      {"ttft_ms", summary(r.ttft)},
      {"gap_ms", summary(r.gap)},
      {"integrity",
       {{"id_gaps", r.id_gaps},
        {"id_dups", r.id_dups},
        {"content_checked", r.content_checked},
        {"content_mismatch", r.content_mismatch}}},
      {"resume",
       {{"dropped", r.dropped}, {"caught_up", r.caught_up}, {"catchup_ms", summary(r.catchup)}}},
      {"loadgen",
       {{"cpu_user_s", r.cpu_user_s},
        {"cpu_sys_s", r.cpu_sys_s},
        {"cpu_s", cpu},
        {"cpu_pct", r.wall_s > 0 ? 100.0 * cpu / r.wall_s : 0.0},
        {"max_rss_kb", r.max_rss_kb}}},
      {"timeline", {{"step_s", o.timeline_step_s}, {"tokens", timeline}}},
  };
  return boost::json::serialize(j);
}

std::string to_table(const Options& o, const Results& r) {
  char buf[2048];
  std::string out;
  double window = active_window(r);
  double cpu = r.cpu_user_s + r.cpu_sys_s;
  std::snprintf(
      buf, sizeof buf,
      "%s (%s, %s:%u) streams=%u x%u subscribers, %u tokens @ %u ms\n"
      "  generations %llu, event streams %llu, ok %llu, errors %llu, peak concurrent %llu\n"
      "  tokens %llu, bytes %llu, %.0f tokens/s over %.2f s\n",
      o.label.c_str(), kind_name(o.kind).c_str(), o.host.c_str(), o.port, o.streams, o.subscribers,
      o.tokens, o.delay_ms, (unsigned long long)r.started, (unsigned long long)r.subscribed,
      (unsigned long long)r.ok, (unsigned long long)error_total(r),
      (unsigned long long)r.peak_active, (unsigned long long)r.tokens, (unsigned long long)r.bytes,
      window > 0 ? double(r.tokens) / window : 0.0, window);
  out += buf;
  std::snprintf(buf, sizeof buf, "  %-10s %9s %9s %9s %9s %9s\n", "ms", "n", "p50", "p90", "p99",
                "max");
  out += buf;
  auto row = [&](const char* name, const Histogram& h) {
    std::snprintf(buf, sizeof buf, "  %-10s %9llu %9.2f %9.2f %9.2f %9.2f\n", name,
                  (unsigned long long)h.count(), ms(h.quantile(0.5)), ms(h.quantile(0.9)),
                  ms(h.quantile(0.99)), ms(h.max()));
    out += buf;
  };
  row("ttft", r.ttft);
  row("gap", r.gap);
  if (r.dropped > 0) row("catch-up", r.catchup);
  for (std::size_t i = 0; i < kErrorKinds; ++i) {
    if (r.errors[i] == 0) continue;
    std::snprintf(buf, sizeof buf, "  error %s: %llu\n", error_name(static_cast<ErrorKind>(i)),
                  (unsigned long long)r.errors[i]);
    out += buf;
  }
  std::snprintf(buf, sizeof buf,
                "  integrity: id gaps %llu, id dups %llu, content mismatches %llu of %llu\n"
                "  loadgen CPU %.2f s (%.1f%% of one core), max RSS %ld KB\n",
                (unsigned long long)r.id_gaps, (unsigned long long)r.id_dups,
                (unsigned long long)r.content_mismatch, (unsigned long long)r.content_checked, cpu,
                r.wall_s > 0 ? 100.0 * cpu / r.wall_s : 0.0, r.max_rss_kb);
  out += buf;
  return out;
}

}  // namespace chatstream::loadgen
