// Transport-neutral HTTP request/response types used by handlers. Beast-free on purpose:
// api/ and app/ include this, only http/*.cpp include Beast.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace chatstream::http {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received, e.g. "/api/x?y=1"
  std::string path;    // percent-decoded path without query
  std::string query;   // raw query string without '?'
  HeaderList headers;  // names lower-cased
  std::string body;
  unsigned version = 11;  // 10 or 11
  std::string remote_address;
  bool remote_is_loopback = false;
  std::string request_id;
  std::vector<std::pair<std::string, std::string>> params;  // path parameters from the route
  // Who is asking, set by the router's guard (empty when no guard is installed: single-user
  // handlers then use the local user). user_role is "admin" or "user".
  std::string user_id;
  std::string user_role;

  // First header with this (lower-case) name, or empty.
  std::string_view header(std::string_view lower_name) const;
  bool has_header(std::string_view lower_name) const;
  // Percent-decoded query parameter.
  std::optional<std::string> query_param(std::string_view name) const;
  // Path parameter captured by the route, e.g. "cid" for "/api/conversations/{cid}".
  std::string_view param(std::string_view name) const;
};

// A streamed body in Server-Sent Events format. The session calls set_waker() once, then
// alternates pull() and waiting; the source calls the waker (from any thread) whenever pull()
// may have something new. Implementations must make pull() cheap when nothing is pending.
class SseSource {
 public:
  using Waker = std::function<void()>;
  virtual ~SseSource() = default;
  // Installs the wake-up callback. Thread-safe to call the waker at any time afterwards,
  // including after the session ended (it then does nothing).
  virtual void set_waker(Waker waker) = 0;
  // Appends everything pending, already encoded as SSE, to `out`. Returns false once the
  // stream is over (the bytes appended by that call are the last ones).
  virtual bool pull(std::string& out) = 0;
  // Called once when the session ends for any reason (client gone, write timeout, shutdown).
  virtual void on_close() {}
  // True when the waker is never called with a lock of the source held and the source outlives
  // the call: the session may then pull at once, inside the waker, when the waker runs on the
  // session's own strand (no hop through the scheduler per event).
  virtual bool wakes_inline() const { return false; }
  // The last bytes of a stream cut short by server shutdown. Default: `event: shutdown` with
  // a `retry:` hint (EventSource reconnects after it). Protocols with their own error frame
  // (the OpenAI-compatible gateway) override it.
  virtual void append_shutdown(std::string& out, std::chrono::milliseconds retry_hint);
};

struct Response {
  unsigned status = 200;
  std::string content_type = "application/json";
  std::string body;
  HeaderList headers;              // extra headers
  std::shared_ptr<SseSource> sse;  // when set: an SSE stream, body ignored
  bool close_connection = false;

  void set_header(std::string name, std::string value);
};

}  // namespace chatstream::http
