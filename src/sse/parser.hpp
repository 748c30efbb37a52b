// Incremental `text/event-stream` parser following the WHATWG HTML Living Standard,
// "Server-sent events" > "Parsing an event stream" / "Interpreting an event stream".
//
// Pure code: bytes in, events out. Bytes may arrive in arbitrary slices (a CR at the end
// of one slice and its LF at the start of the next, a BOM or a UTF-8 sequence cut in
// half): the result does not depend on how the stream was sliced.
//
// Cost: O(n) in the input; lines are located with memchr; complete lines are read in place
// from the caller's slice and only a line cut by a slice boundary is copied. Field values
// are copied once into reused buffers (the `data` buffer is needed to join `data` lines).
// No allocation per byte; buffers keep their capacity across events.
//
// Not thread-safe: one parser per stream.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace chatstream::sse {

// Default cap on a pending line plus the pending event's data (8 MiB).
inline constexpr std::size_t default_max_event_bytes = std::size_t{8} << 20;

// A dispatched event. The views stay valid until the next call that feeds the parser
// (next/feed/finish/reset) and, since `data` may point into the bytes that were fed, while
// those bytes are unchanged; copy what you keep.
struct Event {
  std::string_view type;           // the `event` field, or "message" when none was sent
  std::string_view data;           // `data` lines joined with LF (no trailing LF)
  std::string_view last_event_id;  // last `id` seen so far on this stream (persists)
};

class EventStreamParser {
 public:
  enum class Status {
    ok,
    too_large,  // a line or an event exceeded max_event_bytes; the parser stops (sticky)
  };

  explicit EventStreamParser(std::size_t max_event_bytes = default_max_event_bytes);

  // Pull interface: consumes bytes from the front of `input` until one event is dispatched
  // (returned; `input` then holds the bytes not yet read) or `input` is used up (nullopt,
  // `input` empty). Once the status is not ok, consumes everything and returns nullopt.
  std::optional<Event> next(std::string_view& input);

  // Push interface: calls on_event(const Event&) for every event completed by `bytes`.
  // Returns false when the parser is in an error state (see status()).
  template <class F>
  bool feed(std::string_view bytes, F&& on_event) {
    while (!bytes.empty()) {
      if (std::optional<Event> ev = next(bytes)) {
        on_event(*ev);
      }
    }
    return status_ == Status::ok;
  }

  // End of stream: an unterminated line and an undispatched event are discarded (WHATWG).
  // The parser is then ready for a new stream (a BOM is accepted again); last_event_id()
  // and retry_ms() persist, as they do for an EventSource that reconnects.
  void finish();

  // Back to the initial state, forgetting last_event_id, retry and errors too.
  void reset();

  Status status() const noexcept { return status_; }
  // Last reconnection time sent with a valid `retry` field (ASCII digits only).
  std::optional<std::uint64_t> retry_ms() const noexcept { return retry_ms_; }
  // The last event ID string as of the most recent dispatch.
  const std::string& last_event_id() const noexcept { return last_event_id_; }

 private:
  bool skip_bom(std::string_view& input);
  void clear_hint() noexcept { hint_lf_ = hint_end_ = nullptr; }
  Event current_event() const noexcept;
  // The first LF in `input`, or its end; remembered across calls on the same slice.
  const char* next_lf(std::string_view input) noexcept;
  // Finds the end of the line starting at input[0]; returns its length or npos.
  std::size_t find_line_end(std::string_view input) noexcept;
  // Handles one complete line; returns true if it dispatched an event.
  bool process_line(std::string_view line);
  void process_field(std::string_view name, std::string_view value);
  bool dispatch();
  // Copies a data line held in place into the buffer (before the slice goes away).
  void own_data();
  std::optional<Event> whole_data_event(std::string_view& input);
  // Sets the too_large status when `size` exceeds the limit.
  bool over_limit(std::size_t size) noexcept;

  std::size_t max_event_bytes_;
  Status status_ = Status::ok;
  std::uint8_t bom_matched_ = 0;  // bytes of the UTF-8 BOM matched so far
  bool bom_done_ = false;         // past the start of the stream
  bool skip_lf_ = false;          // the previous line ended with CR: drop a leading LF
  bool reset_pending_ = false;    // an event was returned: clear its buffers on the next call
  // Where the next LF is in the slice being read (hint_lf_ == hint_end_: none). Valid while
  // the caller keeps passing the unread rest of the same slice; keeps scanning O(n) for
  // streams that only use CR.
  const char* hint_lf_ = nullptr;
  const char* hint_end_ = nullptr;
  std::string line_;  // a line cut by a slice boundary
  std::string data_;  // data buffer
  // The data buffer while it holds one data line still in the caller's slice: an event that
  // arrives whole is read in place, without a copy (and without a buffer per stream).
  std::string_view data_view_;
  bool data_in_view_ = false;
  bool line_in_input_ = false;  // the line being processed points into the caller's slice
  std::string event_type_;      // event type buffer
  std::string id_buffer_;       // last event ID buffer
  std::string last_event_id_;
  std::optional<std::uint64_t> retry_ms_;
};

}  // namespace chatstream::sse
