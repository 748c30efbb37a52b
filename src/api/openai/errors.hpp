// OpenAI-shaped errors: {"error":{"message","type","param","code"}} with the matching status,
// and the mapping of upstream failures (providers::StreamError) onto them. Pure code.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"
#include "providers/events.hpp"

namespace chatstream::api::openai {

struct ApiError {
  unsigned status = 400;
  std::string type = "invalid_request_error";
  std::string message;
  std::string param;  // empty: null
  std::string code;   // empty: null
};

// The `type` word OpenAI uses for a status.
std::string_view error_type_for(unsigned status) noexcept;

ApiError invalid_request(std::string message, std::string param = {}, std::string code = {});

// The JSON text {"error":{...}} (no trailing newline).
std::string error_json(const ApiError& error);

http::Response error_response(const ApiError& error);

// Maps an upstream failure to what the gateway's client sees. Upstream 401/403 become 502
// (the client's own key is fine; ours is not), connect failures 502, timeouts 504, 429 and
// other 4xx keep their status. Messages never contain keys (providers guarantee it).
ApiError from_stream_error(const providers::StreamError& error);

}  // namespace chatstream::api::openai
