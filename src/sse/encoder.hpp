// Server-side text/event-stream encoding (pure; appends wire bytes to a buffer).
#pragma once

#include <chrono>
#include <string>
#include <string_view>

namespace chatstream::sse {

// Appends one event. `event` and `id` are omitted when empty. `data` may contain LF, CR
// or CRLF line breaks: each line becomes its own `data:` field so that a WHATWG parser
// reassembles it joined with LF. Precondition: `event` and `id` contain no line breaks
// (checked; offending characters are dropped).
void append_event(std::string& out, std::string_view event, std::string_view data,
                  std::string_view id = {});

// Appends a comment line (`: text`), used for heartbeats. Line breaks in `text` are dropped.
void append_comment(std::string& out, std::string_view text);

// Appends a `retry:` field followed by a blank line (a reconnection hint for EventSource).
void append_retry(std::string& out, std::chrono::milliseconds delay);

// Appends `text` as a JSON string literal (with quotes). Escapes `"`, `\\` and control
// characters; other bytes, UTF-8 included, are copied as they are (the caller passes valid
// UTF-8). Fast path for runs of plain bytes: this sits on the per-token hot path.
void append_json_string(std::string& out, std::string_view text);

// Appends the inside of that literal (no quotes): for frames whose fixed parts, quotes
// included, are prepared once.
void append_json_escaped(std::string& out, std::string_view text);

}  // namespace chatstream::sse
