// Turns one received request into a response: routing, provider checks, error statuses,
// non-streaming bodies, and the streaming engine with delays and faults.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <string>

#include "controls.hpp"
#include "dialect.hpp"
#include "recorder.hpp"
#include "request.hpp"
#include "transport.hpp"

namespace chatstream::fake_upstream {

// Shared by all connections (thread-safe: Recorder locks; the rest is read-only).
struct ServerState {
  explicit ServerState(std::size_t record_capacity) : recorder(record_capacity) {}
  Recorder recorder;
  std::filesystem::path fixtures_dir;
};

enum class Route { chat, models, plain_sse, not_found, method_not_allowed };

// One request/response on a connection. Owned by the session's coroutine frame; the responder
// and the disconnect watcher both use it from the connection's strand.
struct Exchange {
  Request req;
  Route route = Route::not_found;
  Provider provider = Provider::openai;
  ChatFields chat;
  Controls controls;
  std::uint64_t record_id = 0;
  std::string request_id;
  bool keep_alive = true;

  ExchangeResult result;
  bool responded = false;  // the responder finished and filled `result`
  bool peer_gone = false;  // the watcher saw EOF/reset from the client
  std::chrono::system_clock::time_point peer_gone_at{};
};

// Fills route, provider, chat fields and controls from the request (no I/O).
void prepare_exchange(Exchange& x);

// A one-line summary of the controls, stored with the recorded request.
std::string describe_controls(const Exchange& x);

// Writes the whole response for `x`, including delays and faults; sets x.result and
// x.responded. A write failure is recorded as client_disconnected.
asio::awaitable<void> respond(Transport& t, ServerState& s, Exchange& x);

// Streaming parts (stream.cpp).
asio::awaitable<void> stream_generated(Transport& t, Recorder& rec, Exchange& x);
asio::awaitable<void> stream_fixture(Transport& t, Recorder& rec, Exchange& x, std::string body,
                                     std::string content_type);

// Sends a complete response with a body (content-length), after no delay.
asio::awaitable<void> send_reply(Transport& t, Exchange& x, Reply reply);

}  // namespace chatstream::fake_upstream
