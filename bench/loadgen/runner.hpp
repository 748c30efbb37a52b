// Drives the load: slots of generations (each with one or more event-stream subscribers) on
// one thread and one io_context, with a watchdog for idle streams and the optional
// drop-and-resume storm. The coroutine bodies live in runner.cpp.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "histogram.hpp"
#include "options.hpp"

namespace chatstream::loadgen {

using Clock = std::chrono::steady_clock;

enum class ErrorKind {
  connect,       // TCP connect failed
  status,        // HTTP status other than 200
  protocol,      // unparseable response
  closed,        // connection ended before the terminal event
  read,          // read error (reset, ...)
  timeout,       // no byte for --idle-timeout, or the run's deadline
  api,           // chatstream: creating the conversation or message failed
  short_stream,  // ended normally with fewer tokens than requested
  error_event,   // `event: error`
  count_
};
constexpr std::size_t kErrorKinds = static_cast<std::size_t>(ErrorKind::count_);
const char* error_name(ErrorKind k);

struct Results {
  Histogram ttft;     // µs from the request (chatstream: the message POST) to the first token
  Histogram gap;      // µs between consecutive tokens of a stream
  Histogram catchup;  // µs from a drop until the resumed stream has everything it missed
  std::uint64_t started = 0;     // generations started
  std::uint64_t subscribed = 0;  // event streams started
  std::uint64_t ok = 0;          // event streams that ended cleanly with every token
  std::array<std::uint64_t, kErrorKinds> errors{};
  std::uint64_t tokens = 0;
  std::uint64_t bytes = 0;
  std::uint64_t id_gaps = 0;
  std::uint64_t id_dups = 0;
  std::uint64_t content_checked = 0;
  std::uint64_t content_mismatch = 0;
  std::uint64_t reference_hash = 0;
  bool has_reference = false;
  std::uint64_t dropped = 0;
  std::uint64_t caught_up = 0;
  std::uint64_t active = 0;
  std::uint64_t peak_active = 0;
  std::vector<std::uint64_t> timeline;  // tokens received per timeline slot
  Clock::time_point t0;
  Clock::time_point first_start;
  Clock::time_point last_end;
  double wall_s = 0;
  double cpu_user_s = 0;
  double cpu_sys_s = 0;
  long max_rss_kb = 0;
};

class Runner {
 public:
  explicit Runner(Options options);
  ~Runner();
  Runner(const Runner&) = delete;
  Runner& operator=(const Runner&) = delete;
  // Runs the whole load on the calling thread; returns the results.
  Results run();

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace chatstream::loadgen
