// Route table with path parameters: "/api/conversations/{cid}/messages".
// Built once at start-up, then read concurrently without locks (immutable after start).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.hpp"

namespace chatstream::http {

using Handler = std::function<boost::asio::awaitable<Response>(Request)>;

// An already-computed response as an awaitable, for handlers that need no I/O.
boost::asio::awaitable<Response> ready(Response response);

// Who may call a route; enforced by the router's guard (no guard: everyone).
enum class Access {
  user,    // an authenticated user (the default)
  anyone,  // no authentication (health, login, static assets)
  admin,   // an authenticated admin
};

struct RouteOptions {
  // Requests with a body must be `application/json` (else 415).
  bool json_body = false;
  // Name used in metrics and logs; defaults to the pattern.
  std::string name;
  Access access = Access::user;
};

// Runs before every matched route's handler (not for static files): authenticates the request
// (filling Request::user_id/user_role) and enforces RouteOptions::access. A returned response
// (401, 403, 429...) is sent instead of calling the handler.
using Guard =
    std::function<boost::asio::awaitable<std::optional<Response>>(Request&, const RouteOptions&)>;

class Router {
 public:
  struct Match {
    enum class Kind { found, method_not_allowed, not_found } kind = Kind::not_found;
    const Handler* handler = nullptr;
    const RouteOptions* options = nullptr;
    std::string_view route_name;
    std::vector<std::pair<std::string, std::string>> params;
    std::string allow;  // for method_not_allowed: "GET, POST"
  };

  // Adds a route. Patterns are absolute paths; a segment "{name}" captures one non-empty
  // segment; a final segment "{name...}" captures the rest of the path (possibly empty).
  void add(std::string method, std::string pattern, Handler handler, RouteOptions options = {});

  // Matches a decoded path. HEAD matches GET routes.
  Match match(std::string_view method, std::string_view path) const;

  // Installs the guard (at start-up, before the server starts).
  void set_guard(Guard guard) { guard_ = std::move(guard); }
  const Guard& guard() const noexcept { return guard_; }

 private:
  struct Route {
    std::string method;
    std::string pattern;
    std::vector<std::string> segments;
    Handler handler;
    RouteOptions options;
  };
  static bool match_segments(const Route& route, const std::vector<std::string_view>& parts,
                             std::vector<std::pair<std::string, std::string>>& params);
  std::vector<Route> routes_;
  Guard guard_;
};

}  // namespace chatstream::http
