// Internal to http/: from a parsed Request to a Response (security checks, routing, static
// files, JSON errors for everything that goes wrong, including exceptions).
#pragma once

#include <boost/asio/awaitable.hpp>

#include <memory>
#include <string>

#include "http/message.hpp"
#include "http/server_impl.hpp"

namespace chatstream::http {

struct Connection;

struct Dispatched {
  Response response;
  std::string route_name;
};

boost::asio::awaitable<Dispatched> dispatch(std::shared_ptr<Server::Impl> server, Request req);

// Serves requests on `conn` while keep-alive allows. Returns true when the connection was
// handed over to an SSE stream (which then ends the session itself).
boost::asio::awaitable<bool> serve_requests(std::shared_ptr<Server::Impl> server,
                                            std::shared_ptr<Connection> conn);

}  // namespace chatstream::http
