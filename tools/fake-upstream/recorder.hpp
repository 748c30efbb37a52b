// What fake-upstream received and how each exchange ended, for tests to assert on.
// Thread-safe: all members may be called from any I/O thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>

#include "request.hpp"

namespace chatstream::fake_upstream {

enum class Outcome {
  in_progress,
  completed,            // whole response written (also error statuses)
  client_disconnected,  // the client closed or reset the connection before we finished
  reset,                // we sent a TCP RST (reset_after)
  closed,               // we ended the body early and closed (close_after)
  eof,                  // we closed without ending the chunked body (eof_after)
};

std::string_view outcome_name(Outcome o);

struct ExchangeResult {
  Outcome outcome = Outcome::completed;
  unsigned status = 200;
  std::size_t tokens_sent = 0;
  std::chrono::system_clock::time_point disconnect_at{};  // client_disconnected only
};

class Recorder {
 public:
  explicit Recorder(std::size_t capacity = 1000) : capacity_(capacity) {}

  // Stores the request (outcome in_progress) and returns its id (1, 2, …).
  std::uint64_t add(const Request& r, std::uint64_t connection_id, std::size_t seq_on_connection,
                    bool tls, std::string_view controls_summary);
  void finish(std::uint64_t id, const ExchangeResult& result);

  // JSON array of records, oldest first.
  std::string requests_json() const;
  // Drops the records and the fail_first counters.
  void clear();

  // Number of requests seen so far with this scenario key, this one included (1-based).
  std::uint64_t next_attempt(const std::string& key);

  std::uint64_t connection_opened() {
    ++open_;
    return ++accepted_;
  }
  void connection_closed() { --open_; }
  void request_seen() { ++requests_; }
  void stream_started() { ++streams_active_; }
  void stream_ended() { --streams_active_; }
  std::string stats_json() const;

 private:
  struct Record {
    std::uint64_t id = 0;
    std::uint64_t connection_id = 0;
    std::size_t seq_on_connection = 0;
    bool tls = false;
    Request request;
    std::string controls;
    ExchangeResult result;
    bool done = false;
    std::chrono::system_clock::time_point finished_at{};
  };

  std::size_t capacity_;
  mutable std::mutex mutex_;
  std::deque<Record> records_;                     // guarded by mutex_
  std::uint64_t next_id_ = 1;                      // guarded by mutex_
  std::map<std::string, std::uint64_t> attempts_;  // guarded by mutex_
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::int64_t> open_{0};
  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::int64_t> streams_active_{0};
  std::atomic<std::uint64_t> client_disconnects_{0};
  std::atomic<std::uint64_t> resets_{0};
};

}  // namespace chatstream::fake_upstream
