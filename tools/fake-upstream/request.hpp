// A received HTTP request as plain data, and the chat fields fake-upstream reads from its body.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>

#include "dialect.hpp"

namespace chatstream::fake_upstream {

struct Request {
  std::string method;
  std::string target;  // as sent: path and query
  std::string path;
  std::string query;
  unsigned version = 11;  // 10 or 11
  HeaderList headers;     // in the order and case received
  std::string body;
  bool keep_alive = true;
  std::chrono::system_clock::time_point received_at{};
  std::chrono::steady_clock::time_point received_steady{};

  // First header with this name (case-insensitive); empty if absent.
  std::string_view header(std::string_view name) const;
  bool has_header(std::string_view name) const;
};

struct ChatFields {
  std::string model;
  bool stream = false;
  bool include_usage = false;
  std::size_t prompt_tokens = 0;
  std::string error;  // non-empty: the body is not the JSON object we expect
};

// Reads `model`, `stream` (default: true for Ollama, false otherwise),
// `stream_options.include_usage`, and counts prompt tokens: whitespace-separated words of every
// message's text content (string content or `text` parts), plus a top-level `system`; minimum 1.
ChatFields parse_chat_body(Provider p, std::string_view body);

bool iequals(std::string_view a, std::string_view b);

}  // namespace chatstream::fake_upstream
