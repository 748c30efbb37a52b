// JSON error responses: {"error":{"message","type","code"}} with the matching status.
#pragma once

#include <string>
#include <string_view>

#include "http/message.hpp"

namespace chatstream::http {

// The `type` word for a status (invalid_request_error, not_found_error, ...).
std::string_view error_type_for(unsigned status) noexcept;

Response json_error(unsigned status, std::string_view code, std::string_view message);
Response json_error(unsigned status, std::string_view type, std::string_view code,
                    std::string_view message);

// The JSON text of an error object (used by SSE `event: error` frames as well).
std::string error_body(std::string_view type, std::string_view code, std::string_view message);

}  // namespace chatstream::http
