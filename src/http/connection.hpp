// Internal to http/: one client connection, shared by the request loop (session.cpp) and the
// SSE writer (sse_writer.cpp). Accessed only on its strand.
#pragma once

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>

#include <memory>
#include <string>

#include "http/message.hpp"
#include "http/server_impl.hpp"

namespace chatstream::http {

struct SseWait;

// What the session keeps of a request after handing it to its handler.
struct RequestInfo {
  std::string method;
  std::string path;
  std::string request_id;
  unsigned version = 11;
};

struct Connection {
  explicit Connection(boost::asio::ip::tcp::socket socket) : stream(std::move(socket)) {}

  boost::beast::tcp_stream stream;
  boost::beast::flat_buffer buffer;
  std::shared_ptr<SessionHandle> handle;
  std::string remote_address;
  bool remote_is_loopback = false;
  bool idle = false;                // waiting for the next request
  bool shutdown_requested = false;  // server is shutting down
  std::shared_ptr<SseWait> sse;     // set while an SSE response is streaming
};

// Streams `response.sse` to the client until it ends, the client goes away, a write times
// out or the server shuts down. The connection is closed afterwards. Returns bytes written.
boost::asio::awaitable<std::uint64_t> write_sse(std::shared_ptr<Server::Impl> server,
                                                std::shared_ptr<Connection> conn, Response response,
                                                RequestInfo request);

// Called on the strand by the server's shutdown (wakes SSE streams).
void notify_sse_shutdown(Connection& conn);

}  // namespace chatstream::http
