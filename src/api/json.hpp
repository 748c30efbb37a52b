// JSON shapes of the REST API (docs/api.md) and request-body validation helpers.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "http/message.hpp"
#include "store/store.hpp"

namespace chatstream::api {

boost::json::object to_json(const store::Conversation& c);
boost::json::object to_json(const store::Message& m);

http::Response json_response(unsigned status, const boost::json::value& body);

// A request body as a JSON object ({} when empty), or the 400 answer for a malformed one.
std::variant<boost::json::object, http::Response> parse_object_body(const http::Request& req);

// Reads an optional string field. Returns the 422 answer when present with another type
// (null counts as absent) or longer than `max_bytes`.
std::optional<http::Response> optional_string(const boost::json::object& body,
                                              std::string_view field,
                                              std::optional<std::string>& out,
                                              std::size_t max_bytes);
// Reads an optional non-negative integer field.
std::optional<http::Response> optional_count(const boost::json::object& body,
                                             std::string_view field,
                                             std::optional<std::uint64_t>& out);

// The current user. Single-user mode: always "local".
std::string user_of(const http::Request& req);

// 404 in the API's shape for an unknown (or not owned) resource.
http::Response not_found(std::string_view what);

}  // namespace chatstream::api
