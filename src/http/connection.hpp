// Internal to http/: one client connection, shared by the request loop (session.cpp) and the
// SSE writer (sse_writer.cpp). Accessed only on its (serial) executor.
#pragma once

#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>

#include <chrono>
#include <memory>
#include <string>

#include "http/message.hpp"
#include "http/server_impl.hpp"

namespace chatstream::http {

// What the session keeps of a request after handing it to its handler.
struct RequestInfo {
  std::string method;
  std::string path;
  std::string request_id;
  unsigned version = 11;
};

using ConnectionStream = boost::beast::basic_stream<boost::asio::ip::tcp, ConnectionExecutor>;

struct Connection {
  explicit Connection(ConnectionSocket socket) : stream(std::move(socket)) {}

  ConnectionStream stream;  // with Beast's timeouts: used while requests are read and answered
  boost::beast::flat_buffer buffer;
  std::shared_ptr<SessionHandle> handle;
  Server::Impl::Registration registration{};
  std::string remote_address;
  bool remote_is_loopback = false;
  bool idle = false;                // waiting for the next request
  bool shutdown_requested = false;  // server is shutting down
};

// Ends a session whose socket is closed: unregisters it, counts it closed.
void end_session(Server::Impl& server, Server::Impl::Registration registration);

// Takes the connection over for the SSE response `response` (on the connection's executor):
// the socket leaves `conn`, and a callback-driven writer streams head and events until the
// source ends, the client goes away, a write misses its deadline or the server shuts down.
// It then closes the socket, writes the access log line and ends the session (end_session).
// No coroutine stays suspended for the stream.
void start_sse(std::shared_ptr<Server::Impl> server, Connection& conn, Response response,
               RequestInfo request, std::chrono::steady_clock::time_point started);

}  // namespace chatstream::http
