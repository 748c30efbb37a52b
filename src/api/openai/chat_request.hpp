// Parsing and validation of a POST /v1/chat/completions body into a provider request.
// Pure code (no I/O). What is accepted, ignored or refused is documented in
// src/api/openai/README.md.
#pragma once

#include <string>
#include <string_view>
#include <variant>

#include "api/openai/errors.hpp"
#include "providers/provider.hpp"

namespace chatstream::api::openai {

struct ParsedChatRequest {
  std::string model;  // as the client named it (echoed in every chunk)
  bool stream = false;
  bool include_usage = false;      // stream_options.include_usage
  providers::ChatRequest request;  // `model` still empty: set from the resolved model
};

// Parses the JSON body. On failure the ApiError is a 400 naming the offending parameter.
std::variant<ParsedChatRequest, ApiError> parse_chat_request(std::string_view body);

}  // namespace chatstream::api::openai
