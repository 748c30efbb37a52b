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

boost::asio::awaitable<void> serve_requests(std::shared_ptr<Server::Impl> server,
                                            std::shared_ptr<Connection> conn);

}  // namespace chatstream::http
