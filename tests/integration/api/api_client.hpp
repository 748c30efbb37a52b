// Test helpers for the REST API: JSON requests and SSE stream reading over real sockets.
#pragma once

#include <boost/json.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "support/http_client.hpp"
#include "support/process.hpp"

namespace chatstream::testing {

struct Api {
  unsigned short port;

  HttpResponse call(const std::string& method, const std::string& target,
                    const std::string& body = {}) const {
    std::vector<std::string> headers;
    if (!body.empty()) headers.push_back("Content-Type: application/json");
    return http_request(port, method, target, body, headers);
  }
  boost::json::value json(const std::string& method, const std::string& target,
                          const std::string& body = {}, int expect = 0) const {
    auto r = call(method, target, body);
    if (expect && r.status != expect) {
      throw std::runtime_error(method + " " + target + " -> " + std::to_string(r.status) + ": " +
                               r.body);
    }
    return boost::json::parse(r.body);
  }
  std::string new_conversation() const {
    return std::string(json("POST", "/api/conversations", "{}", 201).at("id").as_string());
  }
  // Sends a message; returns {user message id, assistant message id}.
  std::pair<std::string, std::string> send(const std::string& cid, const std::string& content,
                                           const std::string& extra = {}) const {
    boost::json::object body{{"content", content}};
    std::string text = boost::json::serialize(body);
    if (!extra.empty()) text = text.substr(0, text.size() - 1) + "," + extra + "}";
    auto v = json("POST", "/api/conversations/" + cid + "/messages", text, 201);
    return {std::string(v.at("user_message").at("id").as_string()),
            std::string(v.at("assistant_message").at("id").as_string())};
  }
  boost::json::object message(const std::string& cid, const std::string& mid) const {
    auto conv = json("GET", "/api/conversations/" + cid, {}, 200);
    for (const auto& m : conv.at("messages").as_array()) {
      if (m.at("id").as_string() == mid) return m.as_object();
    }
    throw std::runtime_error("message not found: " + mid);
  }
};

struct Delta {
  std::uint64_t seq;
  std::string text;
};

struct StreamResult {
  std::vector<Delta> deltas;
  std::string terminal_event;  // done | error | "" (cut)
  boost::json::object terminal;
  std::string raw;
  std::string text() const {
    std::string t;
    for (const auto& d : deltas) t += d.text;
    return t;
  }
};

// Parses an SSE body (as received, de-chunked) into deltas and the terminal event.
inline StreamResult parse_stream(const std::string& body) {
  StreamResult r;
  r.raw = body;
  for (const auto& f : parse_sse_frames(body)) {
    if (f.event == "delta") {
      auto v = boost::json::parse(f.data);
      r.deltas.push_back({std::stoull(f.id), std::string(v.at("text").as_string())});
    } else if (f.event == "done" || f.event == "error") {
      r.terminal_event = f.event;
      r.terminal = boost::json::parse(f.data).as_object();
    }
  }
  return r;
}

// Reads a whole event stream (until the server closes it).
inline StreamResult read_events(unsigned short port, const std::string& mid,
                                const std::string& extra_header = {}, const std::string& query = {},
                                std::chrono::milliseconds timeout = std::chrono::seconds(60)) {
  RawConnection c(port);
  c.send("GET /api/messages/" + mid + "/events" + query + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" +
         extra_header + "\r\n");
  auto res = c.read_response(timeout);
  if (!res) throw std::runtime_error("no complete event stream for " + mid);
  return parse_stream(res->body);
}

}  // namespace chatstream::testing
