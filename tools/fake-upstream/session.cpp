// One connection: requests in a keep-alive loop. While a response is being produced, a second
// coroutine reads from the socket so a client disconnect is seen at once, even while the stream
// is idle (stalled, between tokens); whichever finishes first cancels the other.
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cstdio>
#include <exception>

#include "http_io.hpp"
#include "server.hpp"

namespace chatstream::fake_upstream {
namespace {

using namespace boost::asio::experimental::awaitable_operators;

// Ends when the client closes or resets the connection (sets x.peer_gone), or when cancelled.
asio::awaitable<void> watch_peer(Transport& t, std::string& inbuf, Exchange& x) {
  const boost::system::error_code ec = co_await t.watch_peer(inbuf);
  if (ec && ec != asio::error::operation_aborted && ec != asio::error::bad_descriptor) {
    x.peer_gone = true;
    x.peer_gone_at = std::chrono::system_clock::now();
  }
}

// Catches the unexpected so the watcher is not left waiting for the client alone.
asio::awaitable<void> guarded_respond(Transport& t, ServerState& s, Exchange& x) {
  try {
    co_await respond(t, s, x);
  } catch (const boost::system::system_error& e) {
    if (e.code() != asio::error::operation_aborted)
      std::fprintf(stderr, "fake-upstream: respond: %s\n", e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-upstream: respond: %s\n", e.what());
  }
}

std::optional<Reply> control_reply(const Request& r, ServerState& s) {
  Reply reply;
  if (r.path == "/_fake/requests" && r.method == "GET") {
    reply.body = s.recorder.requests_json();
  } else if (r.path == "/_fake/requests" && r.method == "DELETE") {
    s.recorder.clear();
    reply.body = "{\"cleared\":true}";
  } else if (r.path == "/_fake/stats" && r.method == "GET") {
    reply.body = s.recorder.stats_json();
  } else if (r.path == "/_fake/health" && r.method == "GET") {
    reply.body = "{\"ok\":true}";
  } else if (r.path.rfind("/_fake/", 0) == 0) {
    reply.status = 404;
    reply.body = "{\"error\":\"unknown control endpoint\"}";
  } else {
    return std::nullopt;
  }
  return reply;
}

// Serves one recorded exchange; returns false when the connection must end.
asio::awaitable<bool> serve_exchange(Transport& t, ServerState& s, std::string& inbuf, Exchange& x,
                                     std::uint64_t conn_id, std::size_t seq) {
  prepare_exchange(x);
  s.recorder.request_seen();
  x.record_id = s.recorder.add(x.req, conn_id, seq, t.is_tls(), describe_controls(x));
  co_await (guarded_respond(t, s, x) || watch_peer(t, inbuf, x));
  if (!x.responded) {
    x.result.outcome = Outcome::client_disconnected;
    x.result.disconnect_at = x.peer_gone ? x.peer_gone_at : std::chrono::system_clock::now();
    x.keep_alive = false;
  }
  s.recorder.finish(x.record_id, x.result);
  co_return x.keep_alive && !x.peer_gone && x.result.outcome == Outcome::completed;
}

asio::awaitable<void> serve(Transport& t, ServerState& s, std::uint64_t conn_id) {
  std::string inbuf;
  for (std::size_t seq = 1;; ++seq) {
    ReadOutcome in = co_await read_request(t, inbuf);
    if (in.kind == ReadOutcome::Kind::closed) co_return;
    Exchange x;
    if (in.kind == ReadOutcome::Kind::bad_request) {
      x.keep_alive = false;
      Reply r;
      r.status = 400;
      r.body = "{\"error\":\"bad request: " + in.error + "\"}";
      co_await send_reply(t, x, std::move(r));
      co_return;
    }
    x.req = std::move(in.request);
    if (auto control = control_reply(x.req, s)) {
      x.keep_alive = x.req.keep_alive;
      co_await send_reply(t, x, std::move(*control));
      if (!x.keep_alive || x.result.outcome != Outcome::completed) co_return;
      continue;
    }
    if (!co_await serve_exchange(t, s, inbuf, x, conn_id, seq)) co_return;
  }
}

class OpenConnection {
 public:
  explicit OpenConnection(Recorder& r) : r_(r), id_(r.connection_opened()) {}
  ~OpenConnection() { r_.connection_closed(); }
  OpenConnection(const OpenConnection&) = delete;
  OpenConnection& operator=(const OpenConnection&) = delete;
  std::uint64_t id() const { return id_; }

 private:
  Recorder& r_;
  std::uint64_t id_;
};

}  // namespace

asio::awaitable<void> run_connection(asio::ip::tcp::socket socket, ServerState* state,
                                     TlsServer* tls) {
  OpenConnection open(state->recorder);
  try {
    std::unique_ptr<Transport> t;
    if (tls) {
      t = co_await tls->accept(std::move(socket));
      if (!t) co_return;
    } else {
      t = make_tcp_transport(std::move(socket));
    }
    co_await serve(*t, *state, open.id());
    t->close();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fake-upstream: connection: %s\n", e.what());
  }
}

}  // namespace chatstream::fake_upstream
