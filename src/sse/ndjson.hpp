// Incremental NDJSON (newline-delimited JSON) line splitter, as used by Ollama's native API
// (`application/x-ndjson`). Lines end with LF or CRLF; empty (or whitespace-only) lines are
// skipped. Fed arbitrary byte slices; O(n), memchr scanning, complete lines are returned in
// place from the caller's slice and only a line cut by a slice boundary is copied.
//
// The splitter does not parse JSON: it returns each line's bytes (without the line end).
// Not thread-safe: one splitter per stream.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "sse/parser.hpp"  // default_max_event_bytes

namespace chatstream::sse {

class NdjsonSplitter {
 public:
  enum class Status {
    ok,
    too_large,  // a line exceeded max_line_bytes; the splitter stops (sticky until finish/reset)
  };

  explicit NdjsonSplitter(std::size_t max_line_bytes = default_max_event_bytes);

  // Pull interface: consumes bytes from the front of `input` until one non-empty line is
  // complete (returned, valid until the next call) or `input` is used up (nullopt).
  std::optional<std::string_view> next(std::string_view& input);

  // Push interface: calls on_line(std::string_view) for every line completed by `bytes`.
  // Returns false when the splitter is in an error state.
  template <class F>
  bool feed(std::string_view bytes, F&& on_line) {
    while (!bytes.empty()) {
      if (std::optional<std::string_view> line = next(bytes)) {
        on_line(*line);
      }
    }
    return status_ == Status::ok;
  }

  // End of stream: returns a final unterminated non-empty line, if any (valid until the
  // next call), and makes the splitter ready for a new stream.
  std::optional<std::string_view> finish();

  template <class F>
  void finish(F&& on_line) {
    if (std::optional<std::string_view> line = finish()) {
      on_line(*line);
    }
  }

  void reset();

  Status status() const noexcept { return status_; }

 private:
  // Returns `line` without its trailing CR, or nullopt when it is blank.
  static std::optional<std::string_view> trim(std::string_view line) noexcept;

  std::size_t max_line_bytes_;
  Status status_ = Status::ok;
  bool clear_pending_ = false;  // line_ was returned: clear it on the next call
  std::string line_;            // a line cut by a slice boundary
};

}  // namespace chatstream::sse
