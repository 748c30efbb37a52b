// Lua scripts run atomically by the server: EVALSHA first, EVAL when the server does not know
// the script yet (after a restart or SCRIPT FLUSH), within a bounded time.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "redis/client.hpp"

namespace chatstream::redis {

class Script {
 public:
  explicit Script(std::string text);
  const std::string& text() const noexcept { return text_; }
  const std::string& sha1() const noexcept { return sha1_; }  // lower-case hex

 private:
  std::string text_;
  std::string sha1_;
};

struct ScriptCall {
  const Script* script = nullptr;  // must outlive the call
  std::vector<std::string> keys;
  std::vector<std::string> args;
};

// Runs the calls in one pipeline (each atomic on its own) and returns their replies in order
// (a script error is an error Reply). asio::error::timed_out when the server did not answer
// within `timeout` (each round trip: at most two when scripts had to be loaded).
boost::asio::awaitable<Result<std::vector<Reply>>> run_scripts(Client& client,
                                                               std::vector<ScriptCall> calls,
                                                               std::chrono::milliseconds timeout);

}  // namespace chatstream::redis
