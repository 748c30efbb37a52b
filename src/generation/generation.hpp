// One live generation: the append-only log of an assistant message being generated, shared
// by every subscriber (tabs, devices, resumes). Subscribers are cursors into the log; the
// log keeps each delta's SSE frame encoded once, so serving a subscriber is a memcpy of
// everything past its cursor, in one write.
//
// Thread-safety: all public members may be called from any thread. A mutex guards the log
// (held for appends and copies only, never across co_await). Wakers are called outside it.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/cancellation_signal.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "store/store.hpp"

namespace chatstream::generation {

// How a generation ended (also what `event: done` / `event: error` carry).
struct Outcome {
  store::MessageStatus status = store::MessageStatus::complete;
  std::optional<std::string> finish_reason;
  std::optional<std::int64_t> prompt_tokens;
  std::optional<std::int64_t> completion_tokens;
  std::optional<std::int64_t> ttft_ms;
  std::optional<std::int64_t> duration_ms;
  std::optional<std::string> error_message;
  std::optional<std::string> error_code;
  std::uint64_t last_seq = 0;  // deltas included in the saved content
  // The live stream failed, not the generation (e.g. the shared stream store is down):
  // reconnecting may succeed. Sent as "retryable": true.
  bool retryable = false;
};

// The outcome a stored message stands for (a message still `streaming` whose generation is
// gone counts as interrupted); last_seq = its delta_seq.
Outcome outcome_of(const store::Message& m);
// The live stream cannot be followed from here right now (another instance runs it and the
// shared stream is unreachable): nothing final, the client may retry.
Outcome unavailable_outcome(std::uint64_t last_seq);

// The terminal SSE frame for an outcome: `event: done` or `event: error` (status error, or
// any outcome with an error code, e.g. interrupted because its instance died).
std::string terminal_frame(const Outcome& outcome);
// The SSE frame of one delta: `event: delta`, `id: seq`, `data: {"text": ...}`.
void append_delta_frame(std::string& out, std::uint64_t seq, std::string_view text);

class Generation : public std::enable_shared_from_this<Generation> {
 public:
  using Clock = std::chrono::steady_clock;

  Generation(std::string message_id, std::string conversation_id, std::string user_id,
             boost::asio::any_io_executor strand);

  const std::string& message_id() const noexcept { return message_id_; }
  const std::string& conversation_id() const noexcept { return conversation_id_; }
  const std::string& user_id() const noexcept { return user_id_; }
  const boost::asio::any_io_executor& strand() const noexcept { return strand_; }

  // Producer (the generation's strand).
  void append(std::string_view text);
  void finish(Outcome outcome);

  // Consumers. Appends the frames of deltas after `cursor` (and, once the generation has
  // ended and the cursor is at the end, the terminal frame), moving the cursor. Returns
  // false when nothing more will ever come for this cursor.
  bool read_frames(std::uint64_t& cursor, std::string& out) const;
  // Registers a wake-up called (from the producer's thread) after each append and at the
  // end. Returns a token for unsubscribe(). `watcher` false: an internal observer (e.g. the
  // cluster mirror) that does not count as somebody watching.
  std::uint64_t subscribe(std::function<void()> waker, bool watcher = true);
  void unsubscribe(std::uint64_t token);

  // Appends the texts of deltas cursor+1.. (at most `max`) to `out`, moving the cursor.
  void read_deltas(std::uint64_t& cursor, std::vector<std::string>& out, std::size_t max) const;

  std::uint64_t last_seq() const;
  bool finished() const;
  std::optional<Outcome> outcome() const;
  std::string text() const;
  // Text of deltas 1..seq (clamped to what exists).
  std::string text_up_to(std::uint64_t seq) const;
  std::size_t subscriber_count() const;
  // When the last subscriber left (or the start, if nobody ever came); nullopt while watched.
  std::optional<Clock::time_point> unwatched_since() const;
  std::optional<Clock::time_point> finished_at() const;

  // Cancellation. Thread-safe: runs on the strand. `shown` = the last delta the user saw;
  // the saved text is then exactly deltas 1..shown. `status` is cancelled (user asked) or
  // interrupted (server shutdown).
  void request_cancel(std::optional<std::uint64_t> shown,
                      store::MessageStatus status = store::MessageStatus::cancelled);
  // Strand only: the slot the provider call is bound to, and what cancel asked for.
  boost::asio::cancellation_slot cancel_slot() { return cancel_signal_.slot(); }
  bool cancel_requested() const noexcept { return cancel_requested_.load(); }
  std::optional<std::uint64_t> cancel_shown() const;
  store::MessageStatus cancel_status() const;

  // Snapshots (generation/snapshots.hpp). mark_snapshot_due: true when the caller should
  // queue this generation (not queued yet, snapshots not stopped). save_snapshot: saves the
  // text if it grew since the last snapshot (and clears the queued mark). stop_snapshots:
  // the final state is being written; no save_progress is issued after it returns.
  bool mark_snapshot_due();
  void save_snapshot(store::Store& store);
  void stop_snapshots();

  // Completes when the generation has ended or `timeout` passed. Returns finished().
  boost::asio::awaitable<bool> wait_finished(std::chrono::milliseconds timeout);

 private:
  using Wakers = std::vector<std::pair<std::uint64_t, std::function<void()>>>;
  // Calls every waker of `wakers` (a snapshot taken under the lock) outside the lock.
  static void wake(const std::shared_ptr<const Wakers>& wakers);

  const std::string message_id_, conversation_id_, user_id_;
  const boost::asio::any_io_executor strand_;

  mutable std::mutex mutex_;
  std::string frames_;                  // encoded delta frames, back to back
  std::vector<std::size_t> frame_end_;  // frame_end_[i] = end of delta i+1 in frames_
  std::string text_;
  std::vector<std::size_t> text_end_;
  std::optional<Outcome> outcome_;
  std::string terminal_;
  std::optional<Clock::time_point> finished_at_;
  // Copy-on-write: subscribe/unsubscribe replace the list, an append takes a reference to it
  // (no copy of the callbacks per delta).
  std::shared_ptr<const Wakers> wakers_;
  std::uint64_t next_token_ = 1;
  std::vector<std::uint64_t> observers_;  // tokens subscribed with watcher = false
  std::optional<Clock::time_point> unwatched_since_;
  std::optional<std::uint64_t> cancel_shown_;
  std::uint64_t snapshot_seq_ = 0;  // deltas in the last snapshot
  bool snapshot_queued_ = false;
  bool snapshots_stopped_ = false;
  store::MessageStatus cancel_status_ = store::MessageStatus::cancelled;

  std::atomic<bool> cancel_requested_{false};
  boost::asio::cancellation_signal cancel_signal_;  // strand only
};

}  // namespace chatstream::generation
